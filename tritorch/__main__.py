"""`python -m tritorch ...` runs the `tritorch` command line."""
import sys

from .cli import main

sys.exit(main())
