"""Pydantic models of the `/jobs` routes (the Ask queue; docs/api.md#jobs)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from ssl_attention.store.catalog.jobs import JobInfo

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]


class JobProgress(BaseModel):
    done: int = Field(description="models of the job finished")
    total: int = Field(description="models of the job")


class JobCreated(BaseModel):
    """What `POST /jobs` answers (202): the job's id, status, place in the queue and image."""

    id: int
    status: JobStatus
    position: int | None = Field(description="1 = the next job to run; null once it is not queued")
    image_id: str = Field(description="the image the job runs on (an upload: `uploads__<sha256 prefix>`)")


class Job(BaseModel):
    id: int
    status: JobStatus
    position: int | None = Field(description="1 = the next job to run; null once it is not queued")
    progress: JobProgress
    image_id: str
    models: list[str]
    prompts: list[str] = Field(description="the prompts (VLMs); empty for a job of vision transformers")
    error: str | None = Field(description="why the job failed, when it did")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class JobList(BaseModel):
    jobs: list[Job] = Field(description="newest first")


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.replace(tzinfo=dt.UTC)


def job_body(job: JobInfo) -> Job:
    created = _utc(job.created_at)
    assert created is not None
    return Job(
        id=job.id,
        status=job.status,  # type: ignore[arg-type]  # one of STATUSES
        position=job.position,
        progress=JobProgress(done=job.done, total=job.total),
        image_id=job.image_id,
        models=list(job.models),
        prompts=list(job.prompts),
        error=job.error,
        created_at=created,
        started_at=_utc(job.started_at),
        finished_at=_utc(job.finished_at),
    )
