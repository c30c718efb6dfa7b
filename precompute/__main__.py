"""`python -m precompute` and the `precompute` script: the CLI, quiet when interrupted early.

The CLI imports torch and transformers (seconds); a Ctrl-C during those imports, or anywhere
before the CLI's own handler is in place, ends with one line and status 130, not a traceback.
"""

from __future__ import annotations

import sys

INTERRUPTED = 130


def main() -> int:
    try:
        from precompute.cli import main as cli_main

        return cli_main()
    except KeyboardInterrupt:
        print("precompute: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
