"""The interactive API docs (`/docs`, Swagger UI; `/redoc`, ReDoc) served from the project itself.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on an air-gapped machine `/docs`
is a blank page. The assets here come from the `fastapi-offline` package (in the `api` extra:
Swagger UI 5, which reads OpenAPI 3.1, and ReDoc, as plain files), mounted at `/docs-assets`,
so the pages work without Node and without a network. Without the package (an install that
skipped the extra) the pages load the same files from FastAPI's CDN, as FastAPI's own do.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs-assets"
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"


def docs_assets() -> Path | None:
    """The folder holding Swagger UI's and ReDoc's files, or None when the package is absent."""
    spec = find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "static"
    files = (SWAGGER_JS, SWAGGER_CSS, REDOC_JS)
    return folder if all((folder / name).is_file() for name in files) else None


def install_docs(app: FastAPI, assets: Path | None = None) -> list[str]:
    """Add `/docs`, its OAuth2 redirect, `/redoc` and their assets to an app built with
    `docs_url=None, redoc_url=None`; returns the paths added (the web app must not shadow them)."""
    assets = assets if assets is not None else docs_assets()
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"
    local = assets is not None
    if local:
        app.mount(ASSETS_URL, StaticFiles(directory=assets), name="docs-assets")

    def asset(request: Request, name: str, cdn: str) -> str:
        return f"{request.scope.get('root_path', '')}{ASSETS_URL}/{name}" if local else cdn

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - API docs",
            oauth2_redirect_url=f"{root}{redirect_url}",
            swagger_js_url=asset(request, SWAGGER_JS, _CDN_SWAGGER_JS),
            swagger_css_url=asset(request, SWAGGER_CSS, _CDN_SWAGGER_CSS),
            swagger_favicon_url=asset(request, FAVICON, _CDN_FAVICON),
            # no validator badge: Swagger UI would fetch it from validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=asset(request, REDOC_JS, _CDN_REDOC_JS),
            redoc_favicon_url=asset(request, FAVICON, _CDN_FAVICON),
            with_google_fonts=False,
        )

    return [DOCS_URL, redirect_url, REDOC_URL, ASSETS_URL]


# FastAPI's defaults, used only when the package with the local files is not installed.
_CDN_SWAGGER_JS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
_CDN_SWAGGER_CSS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
_CDN_REDOC_JS = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
_CDN_FAVICON = "https://fastapi.tiangolo.com/img/favicon.png"
