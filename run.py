#!/usr/bin/env python
"""Command line of the CRM knowledge-transfer simulation: `python run.py --help`."""

import sys

from sim.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
