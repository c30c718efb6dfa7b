"""`/served`: the gallery, store and catalog this server reads, for the commands the web app suggests."""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.backend.config import ApiSettings
from app.backend.dependencies import ServicesDep
from app.backend.schemas import Served
from ssl_attention.settings import DEFAULT_DB, DEFAULT_IMAGES, DEFAULT_STORE

router = APIRouter(tags=["health"])

MASK = "***"
SECRET_QUERY_KEYS = ("password", "passwd", "secret", "token")  # lower-case substrings
SQLITE = "sqlite:///"


def mask_password(url: str) -> tuple[str, bool]:
    """`url` with the password of its user info and any secret-looking query value replaced by
    `***`; and whether anything was masked. Plain paths come back unchanged."""
    if "://" not in url:
        return url, False
    parts = urlsplit(url)
    masked = False
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            netloc, masked = f"{user}:{MASK}@{host}", True
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        hidden = [(k, MASK if any(s in k.lower() for s in SECRET_QUERY_KEYS) and v else v) for k, v in pairs]
        if hidden != pairs:
            query, masked = urlencode(hidden, safe="*"), True
    if not masked:
        return url, False  # as given: urlunsplit would rewrite `sqlite:////abs` as `sqlite://abs`
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)), True


def absolute_location(location: str) -> str:
    """A relative folder or SQLite file made absolute (the command may run elsewhere); URLs as they are."""
    if location.startswith(SQLITE):
        path = location.removeprefix(SQLITE)
        if path and path != ":memory:" and not path.startswith("/"):
            return SQLITE + str(Path(path).resolve())
        return location
    if "://" in location:
        return location
    return str(Path(location).resolve())


def served(settings: ApiSettings) -> Served:
    """The served locations (masked) and the precompute flags that point at them."""
    images = str(settings.images)
    store, store_masked = mask_password(settings.store)
    db, db_masked = mask_password(settings.db)
    flags: list[str] = []
    for flag, value, default in (
        ("--images", images, DEFAULT_IMAGES),
        ("--store", settings.store, DEFAULT_STORE),
        ("--db", settings.db, DEFAULT_DB),
    ):
        if absolute_location(value) != absolute_location(default):
            flags += [flag, shlex.quote(mask_password(absolute_location(value))[0])]
    return Served(
        images=images,
        store=store,
        db=db,
        precompute_flags=" ".join(flags),
        password_hidden=store_masked or db_masked,
    )


@router.get("/served", response_model=Served)
def get_served(services: ServicesDep) -> JSONResponse:
    """The gallery folder, the store and the catalog this server reads (passwords masked), and the
    `precompute` flags that act on them — what the web app appends to the commands it suggests."""
    body = served(services.settings)
    return JSONResponse(body.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
