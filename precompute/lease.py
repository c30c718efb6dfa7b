"""A run's lease on each model it writes (the catalog's `run_leases`: `store/catalog/lease.py`).

    with model_lease(catalog, store, name):   # RunError when a live run holds it
        plan → execute                         # a heartbeat thread renews it every third of its term

Works for any store and any number of machines sharing one catalog. A killed run's lease expires
after `SSL_ATTENTION_LEASE_SECONDS` (default 60) without renewal; on the same host a lease whose
process is gone is taken over at once. A run that loses its lease (its heartbeat could not renew
it in time, and another run took it) stops before its next write.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from precompute.options import RunError
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.catalog.lease import LeaseInfo

LEASE_SECONDS_ENV = "SSL_ATTENTION_LEASE_SECONDS"
HOST_ENV = "SSL_ATTENTION_HOST"  # the host name a lease records (default: this machine's)
DEFAULT_LEASE_SECONDS = 60.0


def lease_seconds() -> float:
    raw = os.environ.get(LEASE_SECONDS_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_LEASE_SECONDS
    except ValueError:
        value = -1.0
    if not 1 <= value <= 86400:
        raise RunError(f"{LEASE_SECONDS_ENV} must be a number of seconds from 1 to 86400, got '{raw}'")
    return value


def this_host() -> str:
    return os.environ.get(HOST_ENV) or socket.gethostname()


def _process_gone(lease: LeaseInfo) -> bool:
    """A lease held by a process of this host that no longer exists."""
    if lease.host != this_host() or lease.pid == os.getpid():
        return False
    try:
        os.kill(lease.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class Heartbeat(threading.Thread):
    def __init__(self, catalog: CatalogWriter, model: str, holder: str, seconds: float) -> None:
        super().__init__(name=f"lease-{model}", daemon=True)
        self.catalog, self.model, self.holder, self.seconds = catalog, model, holder, seconds
        self.stopped = threading.Event()
        self.lost: str | None = None

    def run(self) -> None:
        while not self.stopped.wait(self.seconds / 3):
            try:
                if not self.catalog.renew_lease(self.model, self.holder, self.seconds):
                    self.lost = "another run took it over"
                    return
            except Exception:  # the catalog unreachable for a moment: try again next beat
                continue

    def check(self) -> None:
        if self.lost is not None:
            raise RunError(
                f"this run lost its lease on model '{self.model}' ({self.lost}: its heartbeat was late by "
                f"more than {self.seconds:g} s); rerun to resume"
            )


@contextmanager
def model_lease(catalog: CatalogWriter, store: AttentionStoreWriter, model: str) -> Iterator[None]:
    """Hold `model`'s lease for the block (see the module docstring)."""
    seconds = lease_seconds()
    holder = uuid.uuid4().hex
    blocking = catalog.acquire_lease(model, holder, this_host(), os.getpid(), seconds, _process_gone)
    if blocking is not None:
        until = blocking.expires_at.strftime("%Y-%m-%d %H:%M:%S")
        raise RunError(
            f"another precompute run (pid {blocking.pid} on {blocking.host}) holds the lease on model "
            f"'{model}' of this catalog until {until} UTC, renewed while it runs; wait for it to finish, "
            f"or, if it died, rerun after its lease expires (at most {seconds:g} s)"
        )
    beat = Heartbeat(catalog, model, holder, seconds)
    beat.start()
    previous = store.guard
    store.guard = beat.check
    try:
        yield
    finally:
        store.guard = previous
        beat.stopped.set()
        beat.join()
        if beat.lost is None:
            catalog.release_lease(model, holder)
