"""Deciding once, fast, whether the Hugging Face hub can be reached.

Without it, every checkpoint read first goes through huggingface_hub's retries (about 30 s of
"Retrying in 8s" lines) before the clear error. A run that needs the hub probes its host with one
short TCP connection; when that fails it says so once and switches the hub client to offline
mode, so the hub cache and local checkpoints still work and a missing one fails at once.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from precompute.options import RunOptions
from ssl_attention.models.registry import REGISTRY, base_key

PROBE_SECONDS = 3.0
OFFLINE_ENV = "HF_HUB_OFFLINE"


def offline_already() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def hub_endpoint() -> str:
    from huggingface_hub import constants

    return str(constants.ENDPOINT)


def reachable(endpoint: str, timeout: float = PROBE_SECONDS) -> bool:
    """Whether a TCP connection to the endpoint's host opens within `timeout` seconds."""
    parts = urlsplit(endpoint)
    port = parts.port or (80 if parts.scheme == "http" else 443)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def go_offline() -> None:
    """Offline mode for the rest of the process (the hub client reads the flag on every request)."""
    from huggingface_hub import constants

    os.environ[OFFLINE_ENV] = "1"
    constants.HF_HUB_OFFLINE = True


def hub_checkpoints(options: RunOptions) -> list[str]:
    """The hub ids the run reads: every checkpoint that is not a local folder, except the
    registry's own with random weights (their configs ship with the package)."""
    found = []
    for name in options.models:
        key, override = base_key(name, options.variants), options.checkpoints.get(name)
        if key not in REGISTRY:
            continue  # validation says so
        target = override or REGISTRY[key].default_checkpoint
        if Path(target).expanduser().is_dir() or Path(target).is_absolute() or target.startswith((".", "~")):
            continue  # a folder (a missing one is validation's error), never a hub id
        if options.weights == "pretrained" or override:
            found.append(target)
    return found


def check_hub(options: RunOptions) -> bool:
    """Probe the hub when the run needs it; when unreachable, say so once and go offline.
    Returns whether the run is offline."""
    if offline_already():
        return True
    if not hub_checkpoints(options):
        return False
    endpoint = hub_endpoint()
    if reachable(endpoint):
        return False
    print(
        f"precompute: offline: the Hugging Face hub ({endpoint}) is not reachable; "
        "only local checkpoints and the hub cache are used",
        file=sys.stderr,
    )
    go_offline()
    return True
