"""ETags, Cache-Control and conditional (304) responses.

Data responses carry a strong ETag derived from what determines their bytes: the model
group's attribute fingerprint, the image's content hash and row, and the normalised query.
It is computed before any chunk is decoded, so a revalidation that matches costs one
catalog lookup and no decoding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from fastapi import Request, Response
from pydantic import BaseModel

API_REVISION = "1"  # bump when the bytes of a response change for the same inputs
JSON = "application/json"


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
