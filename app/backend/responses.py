"""ETags, Cache-Control and conditional (304) responses.

Data responses carry a strong ETag derived from what determines their bytes: the model
group's attribute fingerprint, the image's content hash and row, and the normalised query.
It is computed before any chunk is decoded, so a revalidation that matches costs one
catalog lookup and no decoding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Literal, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel

from app.backend.services.attention import MapRequest, Maps
from app.backend.services.slices import f16_bytes, json_float

API_REVISION = "1"  # bump when the bytes of a response change for the same inputs
JSON = "application/json"
F16 = "application/octet-stream"

M = TypeVar("M", bound=Maps)


def make_etag(*parts: object) -> str:
    """A quoted strong ETag of `parts` (their repr must be stable: str, int, float, None, tuples)."""
    digest = hashlib.blake2b(repr((API_REVISION, *parts)).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: `*` or a list of tags compared weakly (a gzip `W/` prefix is ignored)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


class CachePolicy:
    """The Cache-Control of data responses (see `ApiSettings.max_age`)."""

    def __init__(self, max_age: int) -> None:
        self.cache_control = f"public, max-age={max_age}" if max_age > 0 else "public, no-cache"

    def headers(self, etag: str) -> dict[str, str]:
        return {"ETag": etag, "Cache-Control": self.cache_control}

    def not_modified(self, request: Request, etag: str) -> Response | None:
        """A bodiless 304 when the client already holds this version, else None."""
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=self.headers(etag))
        return None

    def json(
        self,
        request: Request,
        body: BaseModel,
        etag: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Serialise `body`; without a precomputed `etag`, the ETag is the hash of the bytes."""
        content = body.model_dump_json().encode()
        tag = etag or make_etag(hashlib.blake2b(content, digest_size=16).hexdigest())
        return self.content(request, content, JSON, tag, headers)

    def content(
        self,
        request: Request,
        content: bytes,
        media_type: str,
        etag: str,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        cached = self.not_modified(request, etag)
        if cached is not None:
            return cached
        return Response(content, media_type=media_type, headers={**self.headers(etag), **(headers or {})})


def array_headers(asked: MapRequest, maps: Maps) -> dict[str, str]:
    """What an f16 body does not say itself: its shape, dtype, weights, range and text selection."""
    headers = {
        "X-Shape": ",".join(str(n) for n in maps.values.shape),
        "X-Dtype": "float16",
        "X-Weights": asked.target.model.attrs.weights,
        "X-Min": repr(json_float(maps.low)),
        "X-Max": repr(json_float(maps.high)),
    }
    if asked.span is not None:
        headers["X-Prompt"], headers["X-Token"] = str(asked.span.prompt), asked.span.label
    return headers


def send_array(
    request: Request,
    http: CachePolicy,
    asked: MapRequest,
    etag: str,
    format: Literal["json", "f16"],
    read: Callable[[], M],
    body: Callable[[M], BaseModel],
) -> Response:
    """A map response: 304 when the client holds `etag` (nothing is read), else `read()` sent as
    float16 bytes with `array_headers` (`format=f16`) or as the JSON `body` of what was read."""
    cached = http.not_modified(request, etag)
    if cached is not None:
        return cached
    maps = read()
    if format == "f16":
        return http.content(request, f16_bytes(maps.values), F16, etag, array_headers(asked, maps))
    return http.json(request, body(maps), etag)
