"""``python -m nextevi_widgets.emulator [options]`` = ``nextevi-widgets emulator [options]``."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
