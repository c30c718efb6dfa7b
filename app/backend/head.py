"""HEAD wherever GET works: the request runs as a GET and its body is dropped.

FastAPI routes declared with `@router.get` answer HEAD with 405 (404 once the web app is
mounted at `/`). HEAD must answer exactly the status and headers of GET (RFC 9110 §9.3.2),
ETag and Content-Length included, so this middleware turns it into a GET and sends no content.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def send_without_body(message: Message) -> None:
            nonlocal finished
            if message["type"] != "http.response.body":
                await send(message)
            elif not finished:
                finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
