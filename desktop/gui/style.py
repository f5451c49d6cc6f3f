"""The look: a calm light palette, clear type sizes, strong status colours (always paired
with an icon and words, so colour is never the only signal)."""
from __future__ import annotations

import re

from desktop.paths import resources

ICONS = (resources() / "icons").as_posix()    # the arrows (drawn by scripts/make_arrows.py)

INK = "#1f2933"
MUTED = "#5b6472"
LINE = "#d5dbe3"
ACCENT = "#1f5fa8"

# The text's size steps (Ctrl+= / Ctrl+− / Ctrl+0), a workstation's setting: 100 % is normal.
SCALES = (0.85, 1.0, 1.15, 1.3, 1.5)
NORMAL_SCALE = 1.0

_TEMPLATE = f"""
QWidget {{ color: {INK}; font-size: 10pt; }}
QMainWindow, #desk, #setupPage, #loginPage {{ background: #eef1f5; }}
QStatusBar {{ background: #e4e8ee; color: {MUTED}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 10px; }}
QMenuBar {{ background: #e4e8ee; }}
#searchPanel, #decisionPanel {{ background: #ffffff; }}
#panelContent, #formContent {{ background: #ffffff; }}
#columnTitle, #panelTitle {{ font-size: 13pt; font-weight: 600; color: {INK}; }}
#panelHeader {{ background: #ffffff; border-bottom: 1px solid {LINE}; }}
#hint, #referenceLine {{ color: {MUTED}; font-size: 9pt; }}
QGroupBox {{ font-weight: 600; font-size: 10.5pt; border: 1px solid {LINE}; border-radius: 6px;
            margin-top: 14px; background: #fbfcfd; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: {ACCENT}; }}
#fieldLabel {{ color: {MUTED}; }}
QLineEdit, QComboBox, QDateEdit, QSpinBox {{ background: #ffffff; border: 1px solid #c3cbd6;
            border-radius: 4px; padding: 3px 6px; min-height: 22px; }}
QLineEdit:focus, QComboBox:focus, QDateEdit:focus, QSpinBox:focus {{ border: 2px solid {ACCENT}; padding: 2px 5px; }}
QComboBox {{ combobox-popup: 0; }}
QComboBox QAbstractItemView {{ background: #ffffff; selection-background-color: #d6e6f8; selection-color: {INK}; }}
QLineEdit:disabled, QComboBox:disabled, QDateEdit:disabled, QSpinBox:disabled {{ background: #f1f3f6;
            color: #98a1ad; border-color: #d5dbe3; }}
QComboBox::drop-down, QDateEdit::drop-down {{ subcontrol-origin: padding; subcontrol-position: center right;
            width: 20px; border: none; background: transparent; }}
QComboBox::down-arrow, QDateEdit::down-arrow, QSpinBox::down-arrow {{ image: url({ICONS}/arrow-down.png);
            width: 10px; height: 6px; }}
QSpinBox::up-arrow {{ image: url({ICONS}/arrow-up.png); width: 10px; height: 6px; }}
QComboBox::down-arrow:disabled, QDateEdit::down-arrow:disabled, QSpinBox::down-arrow:disabled {{
            image: url({ICONS}/arrow-down-disabled.png); }}
QSpinBox::up-arrow:disabled {{ image: url({ICONS}/arrow-up-disabled.png); }}
QSpinBox::up-button, QSpinBox::down-button {{ subcontrol-origin: border; width: 20px; border: none;
            background: transparent; }}
QSpinBox::up-button {{ subcontrol-position: top right; }}
QSpinBox::down-button {{ subcontrol-position: bottom right; }}
QSpinBox::up-button:hover, QSpinBox::down-button:hover {{ background: #e4ecf6; }}
QPushButton {{ background: #ffffff; border: 1px solid #b9c2ce; border-radius: 4px; padding: 5px 14px; }}
QPushButton:hover {{ background: #f1f5fa; }}
QPushButton:focus {{ border: 2px solid {ACCENT}; padding: 4px 13px; }}
QPushButton:disabled {{ color: #98a1ad; }}
QPushButton#primary {{ background: {ACCENT}; color: #ffffff; border: 1px solid #184c86; font-weight: 600; }}
QPushButton#primary:hover {{ background: #2468b8; }}
QPushButton#primary:focus {{ border: 2px solid #0d2f57; }}
QPushButton#primary:disabled {{ background: #c9d6e6; color: #f4f7fb; border: 1px solid #b8c8dc; font-weight: 600; }}
QCheckBox:disabled, QRadioButton:disabled, QLabel:disabled {{ color: #98a1ad; }}
QMenu::item:disabled {{ color: #98a1ad; }}
QTableView {{ background: #ffffff; alternate-background-color: #f6f8fb; border: 1px solid {LINE};
             gridline-color: #e6eaef; selection-background-color: #d6e6f8; selection-color: {INK}; }}
QHeaderView::section {{ background: #eef1f5; color: {MUTED}; border: none; border-bottom: 1px solid {LINE};
                        padding: 4px 6px; font-weight: 600; }}
QListWidget {{ border: 1px solid {LINE}; background: #ffffff; }}
QTabWidget::pane {{ border: none; background: #ffffff; }}
QTabBar::tab {{ padding: 6px 16px; background: #e4e8ee; border: 1px solid {LINE}; border-bottom: none;
               border-top-left-radius: 4px; border-top-right-radius: 4px; margin-right: 2px; color: {MUTED}; }}
QTabBar::tab:selected {{ background: #ffffff; color: {INK}; font-weight: 600; }}
#fieldError {{ font-size: 9pt; color: #b42318; }}
#mrzText {{ font-size: 12pt; }}
#fieldError[kind="note"] {{ color: #9a5b00; }}
#fieldError[kind="ok"] {{ color: #1e7a46; }}
#duplicateBanner {{ background: #fff4db; border: 1px solid #e8b44c; border-radius: 6px; }}
#category {{ font-size: 14pt; font-weight: 600; color: {INK}; }}
#statusBadge {{ border-radius: 8px; border: 2px solid #9aa5b1; background: #f1f3f6; }}
#statusBadge[status="allowed"] {{ background: #e3f4ea; border-color: #1e7a46; }}
#statusBadge[status="needs_documents"] {{ background: #fff4db; border-color: #b76e00; }}
#statusBadge[status="not_allowed"] {{ background: #fdecea; border-color: #b42318; }}
#statusIcon {{ font-size: 20pt; font-weight: 700; min-width: 40px; max-width: 40px; min-height: 40px;
              max-height: 40px; border-radius: 20px; color: #ffffff; background: #9aa5b1; }}
#statusIcon[status="allowed"] {{ background: #1e7a46; }}
#statusIcon[status="needs_documents"] {{ background: #b76e00; }}
#statusIcon[status="not_allowed"] {{ background: #b42318; }}
#statusText {{ font-size: 12.5pt; font-weight: 700; }}
#statusText[status="allowed"] {{ color: #14532d; }}
#statusText[status="needs_documents"] {{ color: #7a4300; }}
#statusText[status="not_allowed"] {{ color: #8a1c12; }}
#sectionHead {{ color: {MUTED}; font-size: 8.5pt; font-weight: 700; letter-spacing: 1px; }}
#panelMessage[kind="error"] {{ background: #fdecea; border: 1px solid #e5a29b; border-radius: 6px; padding: 8px; color: #8a1c12; }}
#panelMessage[kind="empty"] {{ color: {MUTED}; padding: 8px; }}
#changes[kind="changed"] {{ background: #fff4db; border: 1px solid #e8b44c; border-radius: 6px; padding: 6px; }}
#changes[kind="same"] {{ color: {MUTED}; }}
#citation {{ background: #eef4fb; border: 1px solid #b8cde6; border-radius: 6px; padding: 8px; }}
#card {{ background: #ffffff; border: 1px solid {LINE}; border-radius: 10px; }}
#cardTitle {{ font-size: 14pt; font-weight: 600; }}
"""

_PT = re.compile(r"(\d+(?:\.\d+)?)pt")
# sizes that grow with the text: the minimum and maximum sizes, and the drop-down buttons and
# their arrows (a bare width / height: 20 × 12 px images drawn at 10 × 6, so 150 % stays sharp)
_PX = re.compile(r"(?<![-\w])((?:min-|max-)?(?:height|width)|border-radius|margin-top): (\d+)px")


def _pt(match: re.Match, scale: float) -> str:
    return f"{round(float(match.group(1)) * scale * 2) / 2:g}pt"     # to the half point


def _px(match: re.Match, scale: float) -> str:
    value = int(match.group(2))
    if match.group(1) == "border-radius" and value < 10:   # the small rounding stays as it is
        return match.group(0)
    return f"{match.group(1)}: {round(value * scale)}px"


def style(scale: float = NORMAL_SCALE) -> str:
    """The application's style sheet with the text `scale` times its normal size: every font
    size in points and every minimum / maximum height and width (and the round status icon's
    radius, the group boxes' title room) grow with it, so no input or badge clips its text."""
    scale = nearest_scale(scale)
    text = _PT.sub(lambda m: _pt(m, scale), _TEMPLATE)
    return _PX.sub(lambda m: _px(m, scale), text)


def nearest_scale(scale: float) -> float:
    """One of SCALES (a value edited by hand in the settings file falls on the nearest step)."""
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        return NORMAL_SCALE
    return min(SCALES, key=lambda s: abs(s - scale))


def step_scale(scale: float, step: int) -> float:
    """The next step up (+1) or down (-1) from `scale`, kept within SCALES; 0: normal."""
    if step == 0:
        return NORMAL_SCALE
    i = SCALES.index(nearest_scale(scale)) + (1 if step > 0 else -1)
    return SCALES[min(len(SCALES) - 1, max(0, i))]


STYLE = style(NORMAL_SCALE)
