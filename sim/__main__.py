"""``python -m sim``: the command line (the same as ``python run.py`` and ``crm-sim``)."""

from sim.cli.main import entry

entry()
