"""Run leases: which run may write a model's group, for stores anywhere and runs on many machines.

A run takes the lease of its model before it plans (`run_leases`: one row per model, its holder's
token, host and pid, and when it expires) and renews it with a heartbeat while it writes; it drops
the lease when it ends. A lease whose holder stopped renewing it expires: the next run takes it
over and plans the dead run's unfinished rows again (they were never marked done). A lease held by
a process of this host that no longer exists is dead at once (a local run killed with SIGKILL
resumes immediately, as with the file lock before).

Every change is one conditional statement (`UPDATE ... WHERE holder = <the one we saw>`), so two
runs that race for an expired lease cannot both win, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ssl_attention.store.catalog.schema import RunLeaseRow, now


@dataclasses.dataclass(frozen=True)
class LeaseInfo:
    """Who holds a model's lease, and until when (naive UTC, as the catalog stores times)."""

    model: str
    holder: str
    host: str
    pid: int
    expires_at: dt.datetime


def _info(row: RunLeaseRow) -> LeaseInfo:
    return LeaseInfo(row.model, row.holder, row.host, row.pid, row.expires_at)


class LeaseWrites:
    """Taking, renewing and dropping run leases (a part of `CatalogWriter`)."""

    _session: sessionmaker[Session]

    def acquire_lease(
        self,
        model: str,
        holder: str,
        host: str,
        pid: int,
        seconds: float,
        dead: Callable[[LeaseInfo], bool] = lambda _: False,
    ) -> LeaseInfo | None:
        """Take `model`'s lease for `seconds` unless a live run holds it; returns None when taken,
        else the lease that blocks. A lease past its expiry, or one `dead` says is dead, is taken over."""
        for _attempt in range(5):  # lost races with other runs: look again
            until = now() + dt.timedelta(seconds=seconds)
            try:
                with self._session.begin() as s:
                    row = s.execute(
                        select(RunLeaseRow).where(RunLeaseRow.model == model)
                    ).scalar_one_or_none()
                    if row is None:
                        s.add(RunLeaseRow(model=model, holder=holder, host=host, pid=pid, expires_at=until))
                        return None
                    seen = _info(row)
                    if seen.holder != holder and seen.expires_at > now() and not dead(seen):
                        return seen
                    taken = s.execute(
                        update(RunLeaseRow)
                        .where(RunLeaseRow.model == model, RunLeaseRow.holder == seen.holder)
                        .where(RunLeaseRow.expires_at == seen.expires_at)
                        .values(holder=holder, host=host, pid=pid, acquired_at=now(), expires_at=until)
                        .execution_options(synchronize_session=False)
                    )
                    if getattr(taken, "rowcount", 0) == 1:
                        return None
            except IntegrityError:  # another run inserted the row first
                continue
        raise RuntimeError(f"could not settle the lease of model '{model}' with the other runs")

    def renew_lease(self, model: str, holder: str, seconds: float) -> bool:
        """Push the lease's expiry `seconds` ahead; False when `holder` no longer holds it."""
        with self._session.begin() as s:
            renewed = s.execute(
                update(RunLeaseRow)
                .where(RunLeaseRow.model == model, RunLeaseRow.holder == holder)
                .values(expires_at=now() + dt.timedelta(seconds=seconds))
                .execution_options(synchronize_session=False)
            )
            return getattr(renewed, "rowcount", 0) == 1

    def release_lease(self, model: str, holder: str) -> None:
        with self._session.begin() as s:
            s.execute(delete(RunLeaseRow).where(RunLeaseRow.model == model, RunLeaseRow.holder == holder))

    def lease_of(self, model: str) -> LeaseInfo | None:
        with self._session() as s:
            row = s.execute(select(RunLeaseRow).where(RunLeaseRow.model == model)).scalar_one_or_none()
            return None if row is None else _info(row)
