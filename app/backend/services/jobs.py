"""The Ask queue as the API uses it: check a job's request, store its upload, queue it; read and
cancel jobs. The queue is the catalog's `jobs` table (`ssl_attention.store.catalog.jobs`); the
models are those the store holds (what `/models` lists), so nothing here needs a model loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.backend.config import JobLimits
from app.backend.services.catalog import LazyCatalog
from app.backend.services.kinds import api_of
from app.backend.services.store import AttentionStore
from app.backend.services.uploads import UploadRefused, store_upload
from ssl_attention.store.catalog.jobs import JobInfo, JobQueue


class JobRefused(Exception):
    """A job request that is not queued: `status` (4xx) and a message saying what is allowed."""

    def __init__(
        self, status: int, message: str, *, parameter: str | None = None, allowed: Sequence[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.parameter, self.allowed = status, message, parameter, allowed


@dataclass(frozen=True)
class JobRequest:
    """What a client asked for (the form fields of `POST /jobs`), not yet checked."""

    client: str
    upload: bytes | None
    image_id: str | None
    prompts: tuple[str, ...]
    models: tuple[str, ...]


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value.strip() for value in values))


class Jobs:
    """Submitting, reading and cancelling jobs (thread-safe; every method may block on I/O)."""

    def __init__(
        self, catalog: LazyCatalog, store: AttentionStore, gallery: Path | str, limits: JobLimits
    ) -> None:
        self.catalog, self.store, self.gallery, self.limits = catalog, store, gallery, limits
        self._queue: JobQueue | None = None
        self._lock = threading.Lock()

    def queue(self) -> JobQueue:
        with self._lock:
            if self._queue is None:
                self._queue = JobQueue(self.catalog.engine())
            return self._queue

    def check_models(self, request: JobRequest) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The job's models and prompts, checked: known models, prompts exactly when a model
        takes them (a VLM), each prompt within the length limit."""
        limits = self.limits
        models, prompts = _unique(request.models), _unique(request.prompts)
        stored = self.store.models()
        if not models or "" in models:
            raise JobRefused(
                400, "name at least one model (form field `model`, repeatable)", parameter="model",
                allowed=sorted(stored),
            )  # fmt: skip
        if len(models) > limits.models:
            raise JobRefused(
                400, f"{len(models)} models; a job takes at most {limits.models}", parameter="model"
            )
        unknown = [m for m in models if m not in stored]
        if unknown:
            raise JobRefused(
                400,
                f"unknown model {unknown[0][:80]!r}; available: {', '.join(sorted(stored)) or 'none (run precompute)'}",
                parameter="model",
                allowed=sorted(stored),
            )
        takes = [m for m in models if api_of(stored[m].attrs).span_methods]
        if prompts and not takes:
            raise JobRefused(
                400,
                f"{models[0]} is {api_of(stored[models[0]].attrs).noun}: it takes no prompt; "
                "send prompts only with a vision-language model",
                parameter="prompt",
            )
        if takes and not prompts:
            raise JobRefused(
                400,
                f"{takes[0]} answers a prompt: send at least one (form field `prompt`)",
                parameter="prompt",
            )
        if "" in prompts or any("\x00" in p for p in prompts):
            raise JobRefused(
                400, "a prompt is empty or holds a NUL character; write some text", parameter="prompt"
            )
        if len(prompts) > limits.prompts:
            raise JobRefused(
                400, f"{len(prompts)} prompts; a job takes at most {limits.prompts}", parameter="prompt"
            )
        for prompt in prompts:
            if len(prompt) > limits.prompt_chars:
                raise JobRefused(
                    400,
                    f"a prompt of {len(prompt)} characters; the limit is {limits.prompt_chars} "
                    "(SSL_ATTENTION_PROMPT_CHARS)",
                    parameter="prompt",
                )
        return models, prompts

    def image(self, request: JobRequest) -> tuple[str, str]:
        """(image id, path in the gallery) of the job's image: the upload, stored, or a gallery image."""
        if (request.upload is None) == (request.image_id is None):
            raise JobRefused(
                400, "send either an image file (field `image`) or a gallery `image_id`, not both"
            )
        if request.upload is not None:
            if not isinstance(self.gallery, Path):
                raise JobRefused(
                    409,
                    f"uploads are stored in a local gallery folder; this gallery is on object storage "
                    f"({self.gallery}): ask about a gallery image (`image_id`) instead",
                    parameter="image",
                )
            try:
                stored = store_upload(self.gallery, request.upload)
            except UploadRefused as error:
                raise JobRefused(error.status, error.message, parameter="image") from None
            return stored.image_id, stored.path
        assert request.image_id is not None
        image = self.catalog.image(request.image_id)
        if image is None:
            raise JobRefused(404, f"unknown image {request.image_id[:80]!r}", parameter="image_id")
        if image.error is not None:
            raise JobRefused(
                422, f"image {image.id!r} is not a usable image: {image.error}", parameter="image_id"
            )
        return image.id, image.path

    def submit(self, request: JobRequest) -> JobInfo:
        """Check everything, store the upload, then queue (a refused job leaves nothing behind
        but an upload, which is an image of the gallery like any other)."""
        models, prompts = self.check_models(request)
        queue = self.queue()  # an unavailable catalog is said before an upload is stored
        image_id, path = self.image(request)
        queued = queue.submit(
            client=request.client,
            image_id=image_id,
            image_path=path,
            models=models,
            prompts=prompts,
            per_client=self.limits.per_client,
            in_total=self.limits.queued,
        )
        if isinstance(queued, str):
            raise JobRefused(429, queued)
        return queued

    def job(self, job_id: int) -> JobInfo:
        found = self.queue().job(job_id)
        if found is None:
            raise JobRefused(404, f"unknown job {job_id}")
        return found

    def jobs(self, limit: int) -> list[JobInfo]:
        return self.queue().jobs(limit)

    def cancel(self, job_id: int) -> JobInfo:
        found = self.queue().cancel(job_id)
        if found is None:
            raise JobRefused(404, f"unknown job {job_id}")
        return found
