"""``python -m oneproxy`` runs the command-line interface."""
import sys

from oneproxy.cli import main

sys.exit(main())
