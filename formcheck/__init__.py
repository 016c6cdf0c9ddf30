"""formcheck: a computer-vision form checker for hip exercises after a hip replacement."""

from . import _quiet  # noqa: F401  (before mediapipe loads)

__version__ = "0.1.0"
