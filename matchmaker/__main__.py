"""Lets `python -m matchmaker rank ...` run the engine's command line."""

import sys

from matchmaker.cli import main

sys.exit(main())
