"""The PyInstaller bundle: size on disk, and start-up to an idle window.

Start-up is `polyclinic-gui --exit-after-start` from the bundle (offscreen), median of 5, with a
baseline measured in the same run: a bare PySide6 window shown and exited the same way from the
venv. Targets (issue 6): bundle under 200 MB, start-up under 1.5 s. Builds the bundle first when
dist/polyclinic is missing (`make bundle`).
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 150   # issue 18
DIST = ROOT / "dist" / "polyclinic"
BARE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1280, 800); w.show()
QTimer.singleShot(0, app.quit)
sys.exit(app.exec())
"""


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def timed(cmd, env, runs=5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
        times.append(time.perf_counter() - t)
        if p.returncode != 0:
            raise SystemExit(f"{cmd[0]} failed: {p.stderr.decode()[-400:]}")
    return statistics.median(times)


def main() -> int:
    exe = DIST / ("polyclinic-gui" if (DIST / "polyclinic-gui").exists() else "polyclinic")
    if not exe.exists():
        subprocess.run(["make", "bundle"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", POLYCLINIC_DB=str(Path(tmp) / "registry.sqlite"),
                   HOME=tmp)
        subprocess.run([str(exe), "--exit-after-start"], env=env, timeout=120)  # first start
        bare = timed([sys.executable, "-c", BARE], env)
        app = timed([str(exe), "--exit-after-start"], env)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    mb = size_mb(DIST)
    print(f"bundle size: {mb:.0f} MB on disk ({DIST.relative_to(ROOT)}); target <= {TARGET_MB} MB"
          f"{'' if mb <= TARGET_MB else ': NOT met'}")
    qt = DIST / "_internal" / "PySide6" / "Qt" / "lib"
    if qt.is_dir():
        icu = sum(f.stat().st_size for f in qt.glob("libicu*") if not f.is_symlink()) / 1e6
        print(f"       of which Qt's libraries {size_mb(qt):.0f} MB (ICU's data and code {icu:.0f} MB, "
              f"linked by Qt6Core), PySide6 in all {size_mb(DIST / '_internal' / 'PySide6'):.0f} MB")
    print(f"start-up to idle window (bundle, offscreen, median of 5): {app * 1000:.0f} ms; "
          f"bare PySide6 window {bare * 1000:.0f} ms; ratio {app / bare:.1f}x; target < 1500 ms")
    print(f"peak resident memory of any child in this run: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
