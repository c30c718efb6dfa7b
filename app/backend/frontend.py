"""Serving the built web app at `/`, with a single-page-app fallback that never hides the API."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse, Response
from starlette.types import Scope

ASSET_CACHE = "public, max-age=31536000, immutable"  # Vite puts a content hash in asset names
INDEX_CACHE = "no-cache"


class SinglePageApp(StaticFiles):
    """Static files of `dist`; any other GET that is not an API path gets index.html.

    API routes are matched before this mount. A path under an API prefix that no route
    matched (e.g. `/attention/x/nope`) stays a JSON 404 instead of becoming the app's page.
    """

    def __init__(self, directory: Path, api_prefixes: Collection[str]) -> None:
        super().__init__(directory=directory, html=True)
        self.index = directory / "index.html"
        self.api_prefixes = frozenset(api_prefixes)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except StarletteHTTPException as error:
            first = path.strip("/").split("/", 1)[0]
            if error.status_code != 404 or first in self.api_prefixes or not self.index.is_file():
                raise
            return FileResponse(self.index, headers={"Cache-Control": INDEX_CACHE})
        if path.startswith("assets/") and response.status_code == 200:
            response.headers["Cache-Control"] = ASSET_CACHE
        elif response.status_code == 200:
            response.headers.setdefault("Cache-Control", INDEX_CACHE)
        return response


def api_prefixes(paths: Iterable[str | None]) -> set[str]:
    """First segments of the API's paths (`images`, `attention`, `docs`, `openapi.json`, ...)."""
    return {first for path in paths if path and (first := path.strip("/").split("/", 1)[0])}


def mount_frontend(app: FastAPI, dist: Path, api_paths: Iterable[str | None]) -> bool:
    """Mount `dist` at `/` when it holds a built app (call after every API router is included)."""
    if not (dist / "index.html").is_file():
        return False
    app.mount("/", SinglePageApp(dist, api_prefixes(api_paths)), name="frontend")
    return True
