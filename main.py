"""Remat Studio: the window by default, command-line subcommands otherwise (``main.py --help``)."""

import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main())
