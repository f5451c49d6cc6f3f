"""The arrows of the drop-down lists and number boxes (desktop/gui/style.py), drawn into resources/icons: `python scripts/make_arrows.py resources/icons`."""
import sys
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPolygonF
app = QGuiApplication([])
out = sys.argv[1]
for name, colour in (("", "#5b6472"), ("-disabled", "#c3cbd6")):
    for kind, pts in (("down", [(2, 3), (18, 3), (10, 11)]), ("up", [(2, 9), (18, 9), (10, 1)])):
        img = QImage(20, 12, QImage.Format_ARGB32); img.fill(Qt.transparent)
        p = QPainter(img); p.setRenderHint(QPainter.Antialiasing); p.setPen(Qt.NoPen); p.setBrush(QColor(colour))
        p.drawPolygon(QPolygonF([QPointF(x, y) for x, y in pts])); p.end()
        img.save(f"{out}/arrow-{kind}{name}.png")
