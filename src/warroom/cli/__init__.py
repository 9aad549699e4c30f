"""The `warroom` command: shell, run, matrix login, tokens, lock check, roster and on-call
imports, stats, slo, plugins, db upgrade. The composition root builds everything it runs."""

from warroom.cli.common import seed_roster
from warroom.cli.main import main, parser

__all__ = ["main", "parser", "seed_roster"]

if __name__ == "__main__":
    import sys

    sys.exit(main())
