"""Heavy renders cannot starve the API: at most `render_slots` heatmaps are drawn at once, up to
`render_queue` more wait, the rest get 503 with Retry-After at once, and /health stays prompt.

Renders are made to block (the real one runs once released), so the burst is deterministic.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest

import app.backend.routers.attention as attention_router
from app.backend.config import ApiSettings
from app.backend.main import create_app
from app.backend.services.heatmap import RenderBusy, RenderGate
from tests.app.conftest import GOOD_IDS, Api

BURST = 6
SLOTS, QUEUE = 1, 1


def test_the_gate_runs_slots_queues_a_few_and_refuses_the_rest() -> None:
    gate = RenderGate(slots=1, queue=1, wait_s=0.2)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    outcome: list[str] = []

    def wait_in_queue() -> None:
        try:
            with gate.slot():
                outcome.append("ran")
        except RenderBusy:
            outcome.append("timed out")

    waiter = threading.Thread(target=wait_in_queue)
    waiter.start()
    deadline = time.monotonic() + 5
    while gate._waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    with pytest.raises(RenderBusy, match="1 heatmaps are being drawn and 1 wait"), gate.slot():
        pass  # the queue is full: refused at once
    waiter.join()
    assert outcome == ["timed out"]  # it waited wait_s, then gave up
    release.set()
    holder.join()
    with gate.slot():  # free again
        pass


def test_a_render_burst_gets_503_beyond_the_bound_while_health_answers_promptly(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ApiSettings(
        **{**api.settings.__dict__, "render_slots": SLOTS, "render_queue": QUEUE, "render_wait_s": 30.0}
    )
    app = create_app(settings)
    real = attention_router.heatmap_png
    started, release = threading.Event(), threading.Event()

    def slow_render(*args: Any, **kwargs: Any) -> bytes:
        started.set()
        assert release.wait(30), "the test never released the renders"
        return real(*args, **kwargs)

    monkeypatch.setattr(attention_router, "heatmap_png", slow_render)
    gate: RenderGate = app.state.services.renders

    async def burst() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            paths = [
                f"/attention/{GOOD_IDS[i % len(GOOD_IDS)]}/heatmap.png?model=dinov2&size=64&opacity=0.{i + 1}"
                for i in range(BURST)
            ]
            tasks = [asyncio.create_task(client.get(path)) for path in paths]
            # Wait until one render runs and one waits: every other request must be answered by then.
            deadline = time.monotonic() + 30
            while not (
                started.is_set()
                and gate._waiting == QUEUE
                and sum(t.done() for t in tasks) >= BURST - SLOTS - QUEUE
            ):
                assert time.monotonic() < deadline, "the burst never filled the gate"
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # nothing else completes while the renders are held
            done = [task for task in tasks if task.done()]
            pending = [task for task in tasks if not task.done()]
            refused = [task.result() for task in done]
            assert len(refused) == BURST - SLOTS - QUEUE and len(pending) == SLOTS + QUEUE
            for answer in refused:
                assert answer.status_code == 503
                assert answer.headers["Retry-After"] == "1"
                assert "heatmaps are being drawn" in answer.json()["message"]
            # Cheap requests do not queue behind the renders.
            before = time.perf_counter()
            health = await client.get("/health")
            assert (
                health.status_code == 200 and time.perf_counter() - before < 5.0
            )  # not behind the held renders
            release.set()
            served = await asyncio.gather(*pending)
            for answer in served:
                assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")

    asyncio.run(burst())
