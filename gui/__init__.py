"""Remat Studio window (PySide6 + pyqtgraph): the only package that imports Qt."""

import os as _os

# pyqtgraph picks PyQt6 first when both bindings are installed; the window is built on PySide6.
_os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
