"""Error responses: one JSON shape (`schemas.ErrorBody`) for every 4xx and 503.

Service errors become statuses here (invalid parameter 400, unreadable image 422, damaged
stored maps 409 (like maps not precomputed yet: precompute fixes it), unavailable store or catalog 503); database errors are reported as an unavailable catalog
without their SQL or paths. There is deliberately no catch-all: code paths are written so
that nothing else can fail, and the property tests check it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.backend.services.errors import DamagedMaps, ImageUnreadable, InvalidParameter, Unavailable

RETRY_AFTER_S = "5"
NO_STORE = {"Cache-Control": "no-store"}


class ApiError(HTTPException):
    """An HTTPException that also says which values are allowed."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        parameter: str | None = None,
        allowed: Sequence[object] | dict[str, int] | None = None,
    ) -> None:
        super().__init__(status_code, detail=message)
        self.parameter = parameter
        self.allowed = allowed


def error_response(
    status_code: int,
    message: str,
    *,
    detail: Any = None,
    parameter: str | None = None,
    allowed: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"detail": message if detail is None else detail, "message": message}
    if parameter is not None:
        body["parameter"] = parameter
    if allowed is not None:
        body["allowed"] = allowed if isinstance(allowed, dict) else list(allowed)
    return JSONResponse(
        jsonable_encoder(body), status_code=status_code, headers={**NO_STORE, **(headers or {})}
    )


def _location(loc: Sequence[object]) -> str:
    where = [str(part) for part in loc]
    if len(where) >= 2 and where[0] in ("query", "path", "header"):
        return f"{where[0]} parameter '{'.'.join(where[1:])}'"
    return ".".join(where)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    parameter = exc.parameter if isinstance(exc, ApiError) else None
    allowed = exc.allowed if isinstance(exc, ApiError) else None
    return error_response(
        exc.status_code, message, parameter=parameter, allowed=allowed, headers=dict(exc.headers or {})
    )


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{key: value for key, value in error.items() if key != "url"} for error in exc.errors()]
    message = "; ".join(f"{_location(error['loc'])}: {error['msg']}" for error in errors)
    parameter = None
    if errors and len(errors[0]["loc"]) >= 2:
        parameter = str(errors[0]["loc"][-1])
    return error_response(422, message or "invalid request", detail=errors, parameter=parameter)


async def invalid_parameter(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidParameter)
    return error_response(400, exc.message, parameter=exc.parameter, allowed=exc.allowed)


async def image_unreadable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ImageUnreadable)
    return error_response(422, exc.message)


async def damaged_maps(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DamagedMaps)
    return error_response(409, exc.message)


async def unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Unavailable)
    retry_after = str(
        getattr(exc, "retry_after", RETRY_AFTER_S)
    )  # sooner for a busy server than a missing store
    return error_response(503, exc.message, headers={"Retry-After": retry_after})


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    message = (
        f"the catalog cannot be read right now ({type(exc).__name__}); "
        "check SSL_ATTENTION_DB, or run `precompute` to create or upgrade it"
    )
    return error_response(503, message, headers={"Retry-After": RETRY_AFTER_S})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(InvalidParameter, invalid_parameter)
    app.add_exception_handler(ImageUnreadable, image_unreadable)
    app.add_exception_handler(DamagedMaps, damaged_maps)
    app.add_exception_handler(Unavailable, unavailable)
    app.add_exception_handler(SQLAlchemyError, database_error)
