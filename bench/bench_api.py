"""HTTP API latency, throughput and bytes per slice, against the real server on loopback.

    precompute --models dinov2,siglip --weights random --per-head --images data/samples \\
        --store /tmp/bench_store.zarr --db sqlite:////tmp/bench_catalog.db
    python bench/bench_api.py --store /tmp/bench_store.zarr --db sqlite:////tmp/bench_catalog.db

One invocation starts `uvicorn app.backend.main:app` on a free 127.0.0.1 port (one worker,
no access log), then measures, in this order, each with one keep-alive connection:
  health     GET /health: the framework's floor (it also asks the catalog `SELECT 1`)
  cold       first touch of an image's chunk: every (image, model, array) once, nothing cached
  raw json   GET /attention/{id}/raw, cycling over layers x (fused, each head), warm cache
  raw f16    the same with format=f16
  heads      GET /attention/{id}/heads (all heads of a layer), JSON and f16, warm cache
then requests/s of each warm endpoint with `--clients` concurrent connections. Latencies are
client-side wall times of whole requests (send to last byte); the ratios in the summary are
p50 of a slice over p50 of /health measured in the same run. Stops by itself.

`--burst N` measures instead a heavy-render burst: N concurrent `heatmap.png?size=--burst-size`
requests (one connection each) while one connection polls /health every 50 ms, once with the
render gate opened wide (slots = N: every render at once, as before the gate) and once with the
service's defaults. It reports the burst's wall time, 200s and 503s, /health latency during
the burst and the server's peak resident memory (VmHWM).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
UPSAMPLED = 224  # what tools that upsample before sending ship: a 224 x 224 float list


@dataclass
class Series:
    name: str
    seconds: list[float] = field(default_factory=list)
    bytes: int = 0
    rps: float | None = None

    def percentile(self, q: float) -> float:
        return float(np.percentile(np.array(self.seconds), q)) * 1000

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)


class Connection:
    """One keep-alive HTTP/1.1 connection (the stdlib client: little client-side overhead)."""

    def __init__(self, port: int) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        start = time.perf_counter()
        self.http.request("GET", path, headers=headers or {})
        response = self.http.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        return response.status, body, elapsed

    def close(self) -> None:
        self.http.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    args: argparse.Namespace, extra_env: dict[str, str] | None = None, pids: list[int] | None = None
) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "SSL_ATTENTION_STORE": args.store,
        "SSL_ATTENTION_DB": args.db,
        "SSL_ATTENTION_IMAGES": args.images,
        "SSL_ATTENTION_CACHE_MB": str(args.cache_mb),
        **(extra_env or {}),
    }
    command = [
        sys.executable, "-m", "uvicorn", "app.backend.main:app",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    if pids is not None:
        pids.append(process.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = Connection(port)
                status, body, _ = connection.get("/health")
                connection.close()
                if status == 200:
                    break
                if status == 503:
                    raise SystemExit(f"the server cannot read the store or catalog: {body.decode()}")
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("uvicorn did not start")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # requests still in flight: do not wait for them
            process.kill()
            process.wait()


def measure(connection: Connection, name: str, paths: list[str], n: int) -> Series:
    series = Series(name)
    for path in islice(cycle(paths), n):
        status, body, seconds = connection.get(path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}: {body[:300]!r}")
        series.seconds.append(seconds)
        series.bytes = len(body)
    return series


def throughput(port: int, paths: list[str], clients: int, n: int) -> float:
    """Requests per second with `clients` concurrent keep-alive connections, `n` requests in all."""
    per_client = n // clients
    barrier = threading.Barrier(clients + 1)

    def work(offset: int) -> None:
        connection = Connection(port)
        connection.get(paths[0])
        barrier.wait()
        for path in islice(cycle(paths[offset:] + paths[:offset]), per_client):
            connection.get(path)
        connection.close()

    threads = [threading.Thread(target=work, args=(i % len(paths),)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return per_client * clients / (time.perf_counter() - start)


def upsampled_json(values: np.ndarray) -> bytes:
    """A 224 x 224 bilinear upsampling of the map as a JSON float list (float32 values printed by Python)."""
    field_ = Image.fromarray(values.astype(np.float32)).resize(
        (UPSAMPLED, UPSAMPLED), Image.Resampling.BILINEAR
    )
    floats = np.asarray(field_, dtype=np.float32).astype(np.float64).ravel().tolist()
    return json.dumps(floats).encode()


def slice_paths(image_id: str, model: dict[str, Any], method: str) -> list[str]:
    base = f"/attention/{image_id}/raw?model={model['key']}&method={method}"
    paths = []
    for layer in range(model["method_layers"][method]):
        paths.append(f"{base}&layer={layer}")
        paths.extend(f"{base}&layer={layer}&head={head}" for head in range(model["heads"]))
    return paths


def run(args: argparse.Namespace) -> dict[str, Any]:
    with server(args) as port:
        connection = Connection(port)
        _, body, _ = connection.get("/models")
        models = {m["key"]: m for m in json.loads(body)["models"]}
        model = models[args.model] if args.model else next(iter(models.values()))
        method = model["per_head_methods"][0] if model["per_head_methods"] else model["methods"][0]
        _, body, _ = connection.get("/images?limit=500")
        ready = [i["id"] for i in json.loads(body)["items"] if model["key"] in i["models"]]
        if not ready:
            raise SystemExit(f"no image is precomputed for {model['key']}")
        image_id = ready[0]

        # Cold: the first request that touches each chunk (one per image, model and array).
        cold = Series("cold slice (first touch)")
        for key, info in models.items():
            for image in json.loads(connection.get("/images?limit=500")[1])["items"]:
                if key not in image["models"]:
                    continue
                for m in info["methods"]:
                    suffixes = ["", "&head=0"] if m in info["per_head_methods"] else [""]
                    for suffix in suffixes:
                        path = f"/attention/{image['id']}/raw?model={key}&method={m}&format=f16{suffix}"
                        status, _, seconds = connection.get(path)
                        assert status == 200, path
                        cold.seconds.append(seconds)

        raw = slice_paths(image_id, model, method)
        for path in raw:  # warm the cache (and the server) on this image
            connection.get(path)
            connection.get(path + "&format=f16")
        heads = [
            f"/attention/{image_id}/heads?model={model['key']}&method={method}&layer={layer}"
            for layer in range(model["method_layers"][method])
        ]
        warm = {
            "health": ["/health"],
            "raw json": raw,
            "raw f16": [p + "&format=f16" for p in raw],
            "heads json": heads,
            "heads f16": [p + "&format=f16" for p in heads],
        }
        for paths in warm.values():
            measure(connection, "warmup", paths, args.warmup)
        series = {name: measure(connection, name, paths, args.requests) for name, paths in warm.items()}
        # Interleave a second round so drift (CPU frequency, other load) hits every series alike.
        for name, paths in warm.items():
            series[name].seconds += measure(connection, name, paths, args.requests).seconds
        for name, paths in warm.items():
            series[name].rps = throughput(port, paths, args.clients, args.requests)

        # Bytes per slice: the fused map of the last layer (a new connection: the idle one timed out).
        connection.close()
        connection = Connection(port)
        last = f"/attention/{image_id}/raw?model={model['key']}&method={method}"
        _, json_body, _ = connection.get(last)
        _, f16_body, _ = connection.get(last + "&format=f16")
        _, gz_body, _ = connection.get(last, {"Accept-Encoding": "gzip"})
        payload = json.loads(json_body)
        values = np.array(payload["data"], dtype=np.float16).reshape(payload["shape"])
        upsampled = upsampled_json(values)
        _, heads_json, _ = connection.get(heads[-1])
        _, heads_f16, _ = connection.get(heads[-1] + "&format=f16")
        connection.close()

    health = series["health"].p50
    return {
        "model": model["key"],
        "method": method,
        "image": image_id,
        "grid": model["grid"],
        "heads": model["heads"],
        "series": [cold, *series.values()],
        "health_p50": health,
        "ratios": {
            "raw json": series["raw json"].p50 / health,
            "raw f16": series["raw f16"].p50 / health,
            "heads json": series["heads json"].p50 / health,
            "heads f16": series["heads f16"].p50 / health,
            "cold": cold.p50 / health,
        },
        "bytes": {
            "f16": len(f16_body),
            "json": len(json_body),
            "json gzip": len(gz_body),
            "heads f16": len(heads_f16),
            "heads json": len(heads_json),
            "224x224 float list json": len(upsampled),
            "224x224 float list json gzip": len(gzip.compress(upsampled, 5)),
        },
    }


def markdown(result: dict[str, Any], args: argparse.Namespace) -> str:
    gh, gw = result["grid"]
    lines = [
        f"Model `{result['model']}` ({gh}×{gw} grid, {result['heads']} heads), method `{result['method']}`, "
        f"image `{result['image']}`; {args.requests * 2} requests per warm series "
        f"(two interleaved rounds), cache {args.cache_mb} MB; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        "| endpoint | p50 ms | p99 ms | ×/health p50 | req/s (1 conn) | "
        f"req/s ({args.clients} conns) | last body bytes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result["series"]:
        ratio = s.p50 / result["health_p50"]
        single = len(s.seconds) / sum(s.seconds)
        concurrent = f"{s.rps:,.0f}" if s.rps else "–"
        size = f"{s.bytes:,}" if s.bytes else "–"
        lines.append(
            f"| {s.name} | {s.p50:.2f} | {s.p99:.2f} | {ratio:.2f} | {single:,.0f} | {concurrent} | {size} |"
        )
    b = result["bytes"]
    lines += [
        "",
        "| one slice as | bytes |",
        "|---|---:|",
        f"| `format=f16` | {b['f16']:,} |",
        f"| JSON | {b['json']:,} |",
        f"| JSON, gzip | {b['json gzip']:,} |",
        f"| 224×224 upsampled float list, JSON (what other tools send) | {b['224x224 float list json']:,} |",
        f"| the same, gzip | {b['224x224 float list json gzip']:,} |",
        f"| all {result['heads']} heads of a layer, `format=f16` | {b['heads f16']:,} |",
        f"| all {result['heads']} heads of a layer, JSON | {b['heads json']:,} |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", default=os.environ.get("SSL_ATTENTION_STORE", "data/cache/attention.zarr"))
    parser.add_argument("--db", default=os.environ.get("SSL_ATTENTION_DB", "sqlite:///data/cache/catalog.db"))
    parser.add_argument("--images", default=os.environ.get("SSL_ATTENTION_IMAGES", "data/samples"))
    parser.add_argument("--model", default=None, help="model key (default: the first in the store)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per warm series and round")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections for req/s")
    parser.add_argument("--cache-mb", type=int, default=256)
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON here")
    parser.add_argument("--burst", type=int, default=0, help="measure a burst of N heavy renders instead")
    parser.add_argument("--burst-size", type=int, default=2048, help="heatmap size of the burst (px)")
    args = parser.parse_args()
    if args.burst:
        from bench_api_burst import burst, burst_markdown  # beside this file

        wide = {"SSL_ATTENTION_RENDER_SLOTS": str(args.burst), "SSL_ATTENTION_RENDER_QUEUE": "0"}
        results = {"unbounded (before)": burst(args, wide), "default (after)": burst(args, {})}
        print(burst_markdown(results, args))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        return
    result = run(args)
    table = markdown(result, args)
    print(table)
    ratios = result["ratios"]
    print(
        f"\nraw json p50 = {ratios['raw json']:.2f}x /health p50 (target <= 2), "
        f"raw f16 = {ratios['raw f16']:.2f}x, cold = {ratios['cold']:.2f}x (target <= 10)"
    )
    if args.json:
        serialisable = {
            **result,
            "series": [
                {
                    "name": s.name,
                    "p50_ms": s.p50,
                    "p99_ms": s.p99,
                    "n": len(s.seconds),
                    "rps": s.rps,
                    "bytes": s.bytes,
                }
                for s in result["series"]
            ],
        }
        args.json.write_text(json.dumps(serialisable, indent=2))


if __name__ == "__main__":
    main()
