"""The heavy-render burst of `bench_api.py --burst N` (see its docstring): N concurrent
`heatmap.png` requests while /health is polled, against the real server on loopback."""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_api import Connection, server


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (Linux VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def burst(args: argparse.Namespace, extra_env: dict[str, str]) -> dict[str, Any]:
    """N concurrent heavy renders while /health is polled; see the module's docstring."""
    pids: list[int] = []
    with server(args, extra_env, pids) as port:
        connection = Connection(port)
        models = json.loads(connection.get("/models")[1])["models"]
        key = args.model or models[0]["key"]
        items = json.loads(connection.get("/images?limit=500")[1])["items"]
        ready = [i["id"] for i in items if key in i["models"]]
        connection.close()
        paths = [
            f"/attention/{ready[i % len(ready)]}/heatmap.png?model={key}&size={args.burst_size}"
            f"&opacity={(i % 9 + 1) / 10}"  # every request distinct: no ETag short-cut
            for i in range(args.burst)
        ]
        health: list[float] = []
        answers: list[int] = []
        stop = threading.Event()

        def probe() -> None:
            probe_connection = Connection(port)
            while not stop.is_set():
                health.append(probe_connection.get("/health")[2])
                time.sleep(0.05)
            probe_connection.close()

        def one(path: str) -> None:
            client = Connection(port)
            answers.append(client.get(path)[0])
            client.close()

        prober = threading.Thread(target=probe)
        prober.start()
        time.sleep(0.3)  # a few /health answers before the burst
        before = len(health)
        threads = [threading.Thread(target=one, args=(path,)) for path in paths]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        stop.set()
        prober.join()
        during = np.array(health[before:]) * 1000
        return {
            "wall_s": wall,
            "ok": answers.count(200),
            "busy": answers.count(503),
            "other": len(answers) - answers.count(200) - answers.count(503),
            "health_n": len(during),
            "health_p50_ms": float(np.percentile(during, 50)) if len(during) else float("nan"),
            "health_max_ms": float(during.max()) if len(during) else float("nan"),
            "peak_rss_mb": peak_rss_mb(pids[0]),
        }


def burst_markdown(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.burst} concurrent `heatmap.png?size={args.burst_size}` (one connection each), /health polled "
        f"every 50 ms; {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        "| render gate | burst wall s | 200 | 503 | /health p50 ms | /health max ms | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['wall_s']:.1f} | {r['ok']} | {r['busy']} | {r['health_p50_ms']:.1f} | "
            f"{r['health_max_ms']:.1f} | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)
