"""Serving the built web app at `/`, with a single-page-app fallback that never hides the API
or a missing file."""

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
ASSETS = "assets"  # Vite's output folder for hashed files


class SinglePageApp(StaticFiles):
    """Static files of `dist`; a GET of one of the web app's own pages gets index.html.

    API routes are matched before this mount. Everything else that names no file stays a JSON
    404 instead of becoming the app's page: a path under an API prefix that no route matched
    (`/attention/x/nope`, `/images/..%2F..%2Fetc%2Fpasswd/file`), a missing asset
    (`/assets/missing.js`) or top-level file (`/robots.txt`), and any path with `.`/`..` segments.
    """

    def __init__(self, directory: Path, api_prefixes: Collection[str]) -> None:
        super().__init__(directory=directory, html=True)
        self.index = directory / "index.html"
        self.api_prefixes = frozenset(api_prefixes)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except StarletteHTTPException as error:
            if (
                error.status_code != 404
                or not self.is_app_page(route_path(scope))
                or not self.index.is_file()
            ):
                raise
            return FileResponse(self.index, headers={"Cache-Control": INDEX_CACHE})
        if path.startswith(f"{ASSETS}/") and response.status_code == 200:
            response.headers["Cache-Control"] = ASSET_CACHE
        elif response.status_code == 200:
            response.headers.setdefault("Cache-Control", INDEX_CACHE)
        return response

    def is_app_page(self, path: str) -> bool:
        """Whether `path` (as requested, before any `..` is resolved) may be a page of the web app."""
        segments = [segment for segment in path.split("/") if segment]
        if any(segment in (".", "..") or "\\" in segment or "\x00" in segment for segment in segments):
            return False
        if segments and (segments[0] in self.api_prefixes or segments[0] == ASSETS):
            return False
        return not (len(segments) == 1 and "." in segments[0])  # a missing top-level file


def route_path(scope: Scope) -> str:
    """The request's path below the app's `root_path` (percent-decoded, `..` not resolved)."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(f"{root}/") else path


def api_prefixes(paths: Iterable[str | None]) -> set[str]:
    """First segments of the API's paths (`images`, `attention`, `docs`, `openapi.json`, ...)."""
    return {first for path in paths if path and (first := path.strip("/").split("/", 1)[0])}


def mount_frontend(app: FastAPI, dist: Path, api_paths: Iterable[str | None]) -> bool:
    """Mount `dist` at `/` when it holds a built app (call after every API router is included)."""
    if not (dist / "index.html").is_file():
        return False
    app.mount("/", SinglePageApp(dist, api_prefixes(api_paths)), name="frontend")
    return True
