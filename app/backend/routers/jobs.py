"""`/jobs`: the Ask queue. `POST` queues an image (an upload or a gallery image), prompts and
models for a worker (`precompute worker`); `GET` reads jobs; `DELETE` cancels one. The write
routes need a token or a loopback client (`auth.py`). Job bodies change while a job runs, so they
are sent with `Cache-Control: no-store` rather than an ETag.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from app.backend.auth import WriterDep
from app.backend.container import ServicesDep
from app.backend.errors import ApiError
from app.backend.schemas import ErrorBody
from app.backend.schemas_jobs import Job, JobCreated, JobList, job_body
from app.backend.services.jobs import JobRefused, JobRequest

router = APIRouter(prefix="/jobs", tags=["jobs"])

NO_STORE = {"Cache-Control": "no-store"}
FORM_OVERHEAD = 256 * 1024  # the form's other fields and boundaries, beside the image
MAX_LIST = 200
JobId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the job's id")]

Responses = dict[int | str, dict[str, Any]]
ERRORS: Responses = {
    status: {"model": ErrorBody, "description": why}
    for status, why in {
        400: "a bad model or prompt (unknown, too many, too long, prompts for a ViT, none for a VLM)",
        401: "a token is set and the request does not carry it",
        403: "no token is set and the client is not on this machine",
        404: "unknown image_id",
        409: "another file is stored under the upload's name",
        413: "the upload is over the size or the pixel limit",
        415: "the upload is not an image",
        429: "too many jobs waiting (from this client, or in all)",
        503: "the catalog or the gallery cannot be used right now",
    }.items()
}
FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "image": {"type": "string", "format": "binary", "description": "an image file"},
                        "image_id": {"type": "string", "description": "or a gallery image's id"},
                        "prompt": {"type": "array", "items": {"type": "string"}, "description": "VLMs"},
                        "model": {"type": "array", "items": {"type": "string"}, "description": "models"},
                    },
                    "required": ["model"],
                }
            }
        },
    }
}


def refused(error: JobRefused) -> ApiError:
    return ApiError(error.status, error.message, parameter=error.parameter, allowed=error.allowed)


async def read_form(request: Request, limit: int) -> JobRequest:
    """The multipart form, its body bounded (413 beyond the upload limit plus the form's fields)."""
    bound = limit + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    too_large = f"the upload is over the limit of {limit / 2**20:g} MB (SSL_ATTENTION_UPLOAD_MB)"
    if declared.isdigit() and int(declared) > bound:
        raise ApiError(413, too_large, parameter="image")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > bound:
            raise ApiError(413, too_large, parameter="image")
    request._body = bytes(body)  # what `request.form()` parses
    try:
        form = await request.form(max_files=1, max_fields=64)
    except (MultiPartException, AssertionError, ValueError) as error:
        raise ApiError(400, f"send a multipart/form-data body ({error})") from None
    image = form.get("image")
    image_id = form.get("image_id")
    data = None
    if isinstance(image, UploadFile):
        data = await image.read()
        if len(data) > limit:
            raise ApiError(413, too_large, parameter="image")
    elif isinstance(image, str) and image:
        raise ApiError(400, "`image` must be a file (multipart file field)", parameter="image")
    texts = {name: [v for v in form.getlist(name) if isinstance(v, str)] for name in ("prompt", "model")}
    client = request.client.host if request.client is not None else "unknown"
    return JobRequest(
        client=client,
        upload=data,
        image_id=image_id if isinstance(image_id, str) and image_id else None,
        prompts=tuple(texts["prompt"]),
        models=tuple(texts["model"]),
    )


@router.post("", status_code=202, response_model=JobCreated, responses=ERRORS, openapi_extra=FORM_SCHEMA)
async def submit_job(request: Request, services: ServicesDep, client: WriterDep) -> JSONResponse:
    """Queue an image (`image`, a file, or `image_id`, a gallery image), `prompt`s (repeatable;
    for VLMs) and `model`s (repeatable; names /models lists) for a worker. 202 with the job."""
    form = await read_form(request, services.settings.jobs.upload_bytes)
    try:
        job = await run_in_threadpool(services.jobs.submit, form)
    except JobRefused as error:
        raise refused(error) from None
    body = JobCreated(id=job.id, status="queued", position=job.position, image_id=job.image_id)
    return JSONResponse(body.model_dump(mode="json"), status_code=202, headers=NO_STORE)


@router.get("", response_model=JobList, responses={503: ERRORS[503]})
def list_jobs(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST, description="how many, newest first")] = 20,
) -> JSONResponse:
    body = JobList(jobs=[job_body(job) for job in services.jobs.jobs(limit)])
    return JSONResponse(body.model_dump(mode="json"), headers=NO_STORE)


@router.get("/{job_id}", response_model=Job, responses={404: ERRORS[404], 503: ERRORS[503]})
def get_job(job_id: JobId, services: ServicesDep) -> JSONResponse:
    try:
        job = services.jobs.job(job_id)
    except JobRefused as error:
        raise refused(error) from None
    return JSONResponse(job_body(job).model_dump(mode="json"), headers=NO_STORE)


@router.delete("/{job_id}", response_model=Job, responses=ERRORS)
def cancel_job(job_id: JobId, services: ServicesDep, client: WriterDep) -> JSONResponse:
    """Cancel a queued job at once, or a running one (its worker stops at its next check). A
    finished job is answered unchanged."""
    try:
        job = services.jobs.cancel(job_id)
    except JobRefused as error:
        raise refused(error) from None
    return JSONResponse(job_body(job).model_dump(mode="json"), headers=NO_STORE)
