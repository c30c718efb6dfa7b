"""A worker of the Ask queue: claims jobs from the catalog's `jobs` table and runs each on its one
image with the job's prompts, through the same plan/execute seam as a precompute run
(`KindRunner.plan` → `pipeline.execute` under a `RunLedger`, holding the model's lock), so the
store and the catalog end up exactly as `precompute --models M --prompt P` over that image leaves
them. Models stay loaded between jobs (one engine per model, loaded on its first job).

    claim (atomic, with a lease) → sync the image into the catalog → per model: lock, plan,
    execute its batches, progress into the job → consolidate the store → done (under the claim)

A heartbeat thread renews the lease; when the job was cancelled (or, after a lost lease, claimed
again by another worker) the renewal fails and the worker stops at its next model or batch.
A VLM's new prompt is appended to its group's prompts (`prepare_vlm`), like a precompute run's.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlalchemy.exc import SQLAlchemyError

from precompute.kind import Engine, ModelSummary
from precompute.ledger import RunLedger
from precompute.options import (
    RunError,
    RunOptions,
    pick_device,
    pick_dtype,
    resolve_models,
    run_params,
    validate_common,
)
from precompute.outputs import open_outputs
from precompute.pipeline import execute
from precompute.runner import runner_of
from ssl_attention.data.gallery import ImageDecodeError, real_path_inside
from ssl_attention.models.registry import ModelLoadError, ResolvedModel
from ssl_attention.store.arrays import StoreError
from ssl_attention.store.catalog import DiscoveredFile
from ssl_attention.store.catalog.jobs import Claim, JobQueue

LOCK_WAIT_S = 600.0  # how long a job waits for a model another run is writing
RETRY_S = 2.0  # how long an idle worker waits when the catalog cannot be read


@dataclass(frozen=True)
class WorkerOptions:
    run: RunOptions  # the models (names, checkpoints, variants …), gallery, store, catalog, device
    idle_exit: float | None = None  # stop after this many seconds without a job (None: never)
    lease_s: float = 30.0  # how long a claim holds without a renewal
    poll_s: float = 0.05  # how often an idle worker looks for a job
    name: str = ""  # how the jobs table names this worker (default host:pid)


class JobLost(Exception):
    """The job was cancelled, or claimed by another worker after this one's lease expired."""


Hook = Callable[[Claim, str], None]


class Worker:
    """Claims and runs jobs until idle for `idle_exit` seconds (or forever)."""

    def __init__(self, options: WorkerOptions, *, before_model: Hook | None = None) -> None:
        self.options = options
        self.name = options.name or f"{socket.gethostname()}:{os.getpid()}"
        run = options.run
        validate_common(run)
        self.models: dict[str, ResolvedModel] = {
            m.name: m for m in resolve_models(replace(run, answer_from=None))
        }
        self.device = pick_device(run.device)
        self.dtype = pick_dtype(run.dtype, self.device)
        self.catalog, self.store = open_outputs(run, list(self.models))
        self.queue = JobQueue(self.catalog.engine)
        self.engines: dict[str, Engine] = {}  # warm between jobs
        self.before_model = before_model  # tests: called before each model of a job
        self.jobs_run: list[int] = []

    def close(self) -> None:
        self.catalog.close()

    def serve(self, log: Callable[[str], None] = print) -> int:
        """Run jobs as they come; returns how many were claimed once idle for `idle_exit` s."""
        idle_since = time.monotonic()
        while True:
            try:
                claim = self.queue.claim(self.name, list(self.models), self.options.lease_s)
            except SQLAlchemyError as error:  # a catalog away for a moment (a restart, a lock held long)
                log(f"the catalog cannot be read ({type(error).__name__}); trying again in {RETRY_S:g} s")
                time.sleep(RETRY_S)
                continue
            if claim is None:
                limit = self.options.idle_exit
                if limit is not None and time.monotonic() - idle_since >= limit:
                    return len(self.jobs_run)
                time.sleep(self.options.poll_s)
                continue
            log(f"job {claim.job.id}: claimed (attempt {claim.attempt}) by {self.name}")
            outcome = self.run_job(claim)
            log(f"job {claim.job.id}: {outcome}")
            idle_since = time.monotonic()

    def run_job(self, claim: Claim) -> str:
        """Run one claimed job; returns what became of it (done, failed: why, lost)."""
        self.jobs_run.append(claim.job.id)
        with self._heartbeat(claim) as alive:
            try:
                self._run(claim, alive)
            except JobLost:
                return "stopped: cancelled or claimed again"
            except (RunError, ModelLoadError, StoreError, ImageDecodeError) as error:
                return self._finish(claim, str(error))
            except Exception as error:  # a job's failure must not stop the worker
                return self._finish(claim, f"{type(error).__name__}: {error}")
        return self._finish(claim, None)

    def _finish(self, claim: Claim, error: str | None) -> str:
        done = len(claim.job.models) if error is None else None
        if not self.queue.finish(claim, error=error, done=done):
            return "stopped: cancelled or claimed again"
        return "done" if error is None else f"failed: {error}"

    @contextmanager
    def _heartbeat(self, claim: Claim) -> Iterator[Callable[[int | None], None]]:
        """Renew the lease every third of it; `alive(done)` renews at once (recording progress)
        and raises JobLost once a renewal has failed."""
        lost = threading.Event()
        stop = threading.Event()
        lease = self.options.lease_s

        def beat() -> None:
            while not stop.wait(lease / 3):
                if not self.queue.renew(claim, lease):
                    lost.set()
                    return

        def alive(done: int | None = None) -> None:
            if lost.is_set() or not self.queue.renew(claim, lease, done):
                lost.set()
                raise JobLost("the job was cancelled, or claimed by another worker")

        thread = threading.Thread(target=beat, name=f"lease-{claim.job.id}", daemon=True)
        thread.start()
        try:
            yield alive
        finally:
            stop.set()
            thread.join()

    def _run(self, claim: Claim, alive: Callable[[int | None], None]) -> None:
        job = claim.job
        run = self.options.run
        file = self._file(job.image_id, job.image_path)
        self.catalog.sync_images([file])  # an upload becomes a gallery image, like discovery makes it
        options = replace(run, models=list(job.models), prompts=job.prompts or run.prompts, answer_from=None)
        models = [self.models[name] for name in job.models]
        for model in models:
            runner_of(model).validate(options, [m for m in models if m.spec.kind == model.spec.kind])
        for done, model in enumerate(models):
            if self.before_model is not None:
                self.before_model(claim, model.name)
            alive(done)
            with self._model_lock(model.name, alive):
                self._run_model(model, file, options, alive, job.id)
            alive(done + 1)  # progress, and a cancel is seen before the next model
        self.store.consolidate()  # as a run leaves it (docs/data-contract.md)

    def _file(self, image_id: str, path: str) -> DiscoveredFile:
        gallery = self.options.run.images
        real = real_path_inside(gallery, path)  # raises ImageDecodeError (OutsideGallery) when gone
        stat = real.stat()
        return DiscoveredFile(image_id, path, stat.st_size, stat.st_mtime_ns)

    @contextmanager
    def _model_lock(self, name: str, alive: Callable[[int | None], None]) -> Iterator[None]:
        """The model's lock, waited for while another run (a precompute, another worker) holds it."""
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            lock = self.store.model_lock(name)
            try:
                lock.__enter__()
                break
            except StoreError:
                if time.monotonic() > deadline:
                    raise
                alive(None)
                time.sleep(0.2)
        try:
            yield
        finally:
            lock.__exit__(None, None, None)

    def _engine(self, model: ResolvedModel, options: RunOptions) -> Engine:
        engine = self.engines.get(model.name)
        if engine is None:
            engine = runner_of(model).load(model, options, self.device, self.dtype)
            self.engines[model.name] = engine
        return engine

    def _run_model(
        self,
        model: ResolvedModel,
        file: DiscoveredFile,
        options: RunOptions,
        alive: Callable[[int | None], None],
        job_id: int,
    ) -> None:
        runner = runner_of(model)
        started = time.perf_counter()
        plan = runner.plan(model, [file], options, self.store, self.catalog)
        if plan is None:  # already done (an earlier job or run): nothing is loaded or written
            self.catalog.close_stale_runs(model.name)
            return
        engine = self._engine(model, options)
        summary = ModelSummary(model.name, unit=runner.unit)
        summary.load_seconds = time.perf_counter() - started
        params = {**run_params(options, self.device, self.dtype), "job": job_id}
        with RunLedger(
            self.catalog, self.store, model, params, summary, started, plan.bytes_before
        ) as run_id:
            for batch in plan.batches:
                alive(None)
                execute(runner, engine, plan, batch, self.store, self.catalog, run_id, summary)
        if summary.failed:
            raise ImageDecodeError(f"the image cannot be used: {summary.failed[0][1]}")
