"""The Ask queue in the catalog's `jobs` table: the API submits, lists and cancels; workers claim,
renew, report progress and finish.

A job is `queued`, then `running` under one claim (a `worker` name and an `attempt` number) that
holds a lease until `lease_until`; the worker renews it while it works. A claim is atomic:
PostgreSQL takes the job with `SELECT … FOR UPDATE SKIP LOCKED` (workers never wait on each
other); SQLite takes its database-wide write lock first, so claims run one after the other.
A running job whose lease has expired (its worker died) is claimed again, with the next attempt.

Every later write of a worker names its claim (`WHERE worker = … AND attempt = …`): once a job
was cancelled, or claimed again after the lease, the old claim's renewals and its `done` change
nothing, so a job is finished at most once. After `MAX_ATTEMPTS` lost claims a job fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from ssl_attention.store.catalog.schema import CatalogInfoRow, JobRow, now

STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")
MAX_ATTEMPTS = 3  # claims of one job whose worker died before it failed for good
SUBMIT_LOCK_KEY = 0x73736C2D6A6F6273  # "ssl-jobs": the advisory lock of `submit` on PostgreSQL
CLAIM_WINDOW = 32  # queued jobs a claim looks at for one whose models the worker serves


@dataclass(frozen=True)
class JobInfo:
    """A job as the API reports it (`position`: 1 = next to run, only while queued)."""

    id: int
    status: str
    image_id: str
    image_path: str
    models: tuple[str, ...]
    prompts: tuple[str, ...]
    done: int
    total: int
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    position: int | None = None
    client: str = ""


@dataclass(frozen=True)
class Claim:
    """A worker's hold on a running job: every write it makes names (job, worker, attempt)."""

    job: JobInfo
    worker: str
    attempt: int


def _info(row: JobRow, position: int | None = None) -> JobInfo:
    return JobInfo(
        id=row.id,
        status=row.status,
        image_id=row.image_id,
        image_path=row.image_path,
        models=tuple(row.models),
        prompts=tuple(row.prompts),
        done=row.progress_done,
        total=row.progress_total,
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        position=position,
        client=row.client,
    )


class JobQueue:
    """The jobs table (thread-safe: one engine, a session per call; each method one transaction)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    # --- the API's side -----------------------------------------------------------------------

    def submit(
        self,
        *,
        client: str,
        image_id: str,
        image_path: str,
        models: Sequence[str],
        prompts: Sequence[str],
        per_client: int,
        in_total: int,
    ) -> JobInfo | str:
        """Queue a job; returns it, or why it was refused (a queue limit reached)."""
        with self._session.begin() as s:
            self._lock(s, advisory=True)  # the counts and the insert in one serialised transaction
            queued = s.scalar(select(func.count()).select_from(JobRow).where(JobRow.status == "queued")) or 0
            if queued >= in_total:
                return f"the queue is full ({queued} jobs waiting, at most {in_total}); try again later"
            mine = (
                s.scalar(
                    select(func.count())
                    .select_from(JobRow)
                    .where(JobRow.status == "queued", JobRow.client == client)
                )
                or 0
            )
            if mine >= per_client:
                return (
                    f"you have {mine} jobs waiting, at most {per_client} per client; "
                    "wait for one to start or cancel one"
                )
            row = JobRow(
                status="queued",
                client=client,
                image_id=image_id,
                image_path=image_path,
                models=list(models),
                prompts=list(prompts),
                progress_done=0,
                progress_total=len(models),
                attempt=0,
                created_at=now(),
            )
            s.add(row)
            s.flush()
            return _info(row, position=queued + 1)

    def job(self, job_id: int) -> JobInfo | None:
        with self._session() as s:
            row = s.get(JobRow, job_id)
            return None if row is None else _info(row, self._position(s, row))

    def jobs(self, limit: int) -> list[JobInfo]:
        """The newest `limit` jobs, newest first."""
        with self._session() as s:
            rows = s.scalars(select(JobRow).order_by(JobRow.id.desc()).limit(limit)).all()
            waiting = s.scalars(select(JobRow.id).where(JobRow.status == "queued").order_by(JobRow.id)).all()
            place = {job_id: k + 1 for k, job_id in enumerate(waiting)}
            return [_info(row, place.get(row.id)) for row in rows]

    def cancel(self, job_id: int) -> JobInfo | None:
        """Cancel a queued or running job (a running one's worker stops at its next check); a
        finished job is returned unchanged. None: no such job."""
        with self._session.begin() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return None
            if row.status in ("queued", "running"):
                row.status, row.finished_at, row.lease_until = "cancelled", now(), None
            return _info(row)

    @staticmethod
    def _position(s: Session, row: JobRow) -> int | None:
        if row.status != "queued":
            return None
        ahead = s.scalar(
            select(func.count()).select_from(JobRow).where(JobRow.status == "queued", JobRow.id < row.id)
        )
        return (ahead or 0) + 1

    def _lock(self, s: Session, *, advisory: bool = False) -> None:
        """Serialise with every other caller that locks: on SQLite a write takes the database's
        write lock until the commit; on PostgreSQL (`advisory`) a transaction-scoped advisory
        lock — claims there lock rows instead (`SKIP LOCKED`), so they never wait on each other."""
        if self.engine.dialect.name == "postgresql":
            if advisory:
                s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SUBMIT_LOCK_KEY})
        else:
            s.execute(delete(CatalogInfoRow).where(CatalogInfoRow.key == "_jobs_lock"))

    # --- the worker's side --------------------------------------------------------------------

    def claim(self, worker: str, serves: Collection[str] | None, lease_s: float) -> Claim | None:
        """Take the oldest job this worker can run (all its models in `serves`; None: any), queued
        or running with an expired lease. A job whose workers died `MAX_ATTEMPTS` times fails."""
        with self._session.begin() as s:
            self._lock(s)
            moment = now()
            stmt = (
                select(JobRow)
                .where(
                    or_(
                        JobRow.status == "queued",
                        (JobRow.status == "running") & (JobRow.lease_until < moment),
                    )
                )
                .order_by(JobRow.id)
                .limit(CLAIM_WINDOW)
            )
            if self.engine.dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            for row in s.scalars(stmt):
                if serves is not None and not set(row.models) <= set(serves):
                    continue
                if row.attempt >= MAX_ATTEMPTS:
                    row.status, row.finished_at, row.lease_until = "failed", moment, None
                    row.error = f"the worker running it stopped {row.attempt} times (killed or crashed)"
                    continue
                row.status, row.worker, row.attempt = "running", worker, row.attempt + 1
                row.lease_until = moment + dt.timedelta(seconds=lease_s)
                row.started_at = row.started_at or moment
                s.flush()
                return Claim(_info(row), worker, row.attempt)
            return None

    def _held(self, claim: Claim) -> Any:
        return (
            JobRow.id == claim.job.id,
            JobRow.status == "running",
            JobRow.worker == claim.worker,
            JobRow.attempt == claim.attempt,
        )

    def renew(self, claim: Claim, lease_s: float, done: int | None = None) -> bool:
        """Extend the lease (and record progress); False when the claim is lost: the job was
        cancelled, or claimed by another worker after the lease expired."""
        values: dict[str, Any] = {"lease_until": now() + dt.timedelta(seconds=lease_s)}
        if done is not None:
            values["progress_done"] = done
        with self._session.begin() as s:
            return s.execute(update(JobRow).where(*self._held(claim)).values(**values)).rowcount == 1  # type: ignore[attr-defined]

    def finish(self, claim: Claim, *, error: str | None = None, done: int | None = None) -> bool:
        """`done` (or `failed` with `error`) under the claim; False when the claim was lost."""
        values: dict[str, Any] = {
            "status": "failed" if error is not None else "done",
            "error": error,
            "finished_at": now(),
            "lease_until": None,
        }
        if done is not None:
            values["progress_done"] = done
        with self._session.begin() as s:
            return s.execute(update(JobRow).where(*self._held(claim)).values(**values)).rowcount == 1  # type: ignore[attr-defined]
