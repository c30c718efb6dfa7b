"""`python -m precompute` and the `precompute` script: the CLI, quiet when interrupted early.

The CLI imports torch and transformers (seconds). A Ctrl-C during those imports must not surface
as whatever the half-done import turns it into (transformers' lazy modules re-raise it as a
ModuleNotFoundError or a RecursionError), so while they run SIGINT ends the process at once with
one line and status 130: nothing has been written yet. Then the CLI's own handling takes over.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

INTERRUPTED = 130


def _leave(signum: int, frame: FrameType | None) -> None:
    print("precompute: interrupted", file=sys.stderr, flush=True)
    os._exit(INTERRUPTED)


def main() -> int:
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _leave) if in_main_thread else None
    worker = sys.argv[1:2] == ["worker"]  # `precompute worker …`: precompute/worker_cli.py
    try:
        if worker:
            from precompute.worker_cli import main as cli_main
        else:
            from precompute.cli import main as cli_main
    except KeyboardInterrupt:  # a handler other than ours was in place
        print("precompute: interrupted", file=sys.stderr)
        return INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    try:
        return cli_main(sys.argv[2:]) if worker else cli_main()
    except KeyboardInterrupt:
        print("precompute: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
