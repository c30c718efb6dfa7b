"""Who may use the write routes (`POST` and `DELETE /jobs`: they run models on someone's GPU).

With `SSL_ATTENTION_API_TOKEN` set, a request needs `Authorization: Bearer <token>` (compared in
constant time; 401 otherwise). Without a token only loopback clients are answered (403 otherwise,
saying how to set one). Behind a reverse proxy on the same machine every client looks local:
set a token there. Read routes stay open.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.backend.container import ServicesDep

TOKEN_ENV = "SSL_ATTENTION_API_TOKEN"


def client_of(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def require_writer(request: Request, services: ServicesDep) -> str:
    """The client's name (for the per-client limit) when it may write; 401/403 otherwise."""
    token = services.settings.jobs.token
    client = client_of(request)
    if token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8", "surrogateescape")
        ):
            raise HTTPException(
                401,
                detail="this route needs the server's token: send `Authorization: Bearer <token>` "
                f"(the value of {TOKEN_ENV} where the API runs)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return client
    if not is_loopback(client):
        raise HTTPException(
            403,
            detail=f"queuing and cancelling jobs is open to this machine only while no token is set; "
            f"set {TOKEN_ENV} where the API runs and send `Authorization: Bearer <token>`",
        )
    return client


WriterDep = Annotated[str, Depends(require_writer)]
