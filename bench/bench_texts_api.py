"""The `/texts` routes' latency against `/health`, on the real server over loopback.

    python bench/bench_texts_api.py [--tokens 32768] [--requests 1000]

Builds the Texts fixture (`app/frontend/e2e/make_text_fixture.py --long N`: `tiny_lm` chats and one
N-token text of `long_lm`, written through the real text writer) in a temporary folder, starts
`uvicorn app.backend.main:app` on a free port (one worker, no access log, as `bench_api.py`) and
measures with one keep-alive connection, interleaved in two rounds so drift hits every series alike:
  health        GET /health (the framework's floor; it also asks the catalog `SELECT 1`)
  row           GET /texts/{id}/row, cycling over queries spread over the long text and its layers
  row (chat)    the same over a 32-token chat, fused and per head
  tile          GET /texts/{id}/matrix?format=f16: the 256 × 256-cell tiles the matrix view asks
                for at its fitted zoom (block N/512) and at a close zoom (block 1), cycling
  stats         GET /texts/{id}/stats of the long text
Reports p50/p99 in ms and the ratio of each p50 to /health's p50 measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import Connection, Series, measure, server  # noqa: E402  (beside this file)


def build(folder: Path, tokens: int) -> dict[str, str]:
    script = ROOT / "app" / "frontend" / "e2e" / "make_text_fixture.py"
    done = subprocess.run(
        [sys.executable, str(script), str(folder), "--long", str(tokens), "--no-precompute"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    paths: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return paths


def paths_of(tokens: int) -> dict[str, list[str]]:
    long = f"/texts/long-{tokens}"
    step = max(1, tokens // 257)
    fitted = 1
    while tokens / fitted > 512:
        fitted *= 2
    span = 256 * fitted
    tiles_fitted = [
        f"{long}/matrix?model=long_lm&layer=0&block={fitted}&q0={q}&q1={min(tokens, q + span)}"
        f"&k0={k}&k1={min(tokens, k + span)}&reduce=max&format=f16"
        for q in range(0, tokens, span)
        for k in range(0, q + 1, span)
    ]
    close = [
        f"{long}/matrix?model=long_lm&layer={layer}&block=1&q0={q}&q1={q + 256}&k0={q}&k1={q + 256}&reduce=max&format=f16"
        for layer in (0, 1)
        for q in range(0, tokens - 256, max(256, tokens // 16))
    ]
    return {
        "health": ["/health"],
        "row": [f"{long}/row?model=long_lm&layer={q % 2}&query={q}" for q in range(0, tokens, step)],
        "row (chat)": [
            f"/texts/math-1/row?model=tiny_lm&layer={layer}&query={q}{head}"
            for layer in (0, 1)
            for head in ("", "&head=0", "&head=1")
            for q in range(32)
        ],
        f"tile, fitted (block {fitted})": tiles_fitted,
        "tile, close (block 1)": close,
        "stats": [f"{long}/stats?model=long_lm"],
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-texts-") as folder:
        paths = build(Path(folder), args.tokens)
        settings = SimpleNamespace(store=paths["store"], db=paths["db"], images=paths["images"], cache_mb=256)
        groups = paths_of(args.tokens)
        with server(settings) as port:  # type: ignore[arg-type]
            connection = Connection(port)
            for urls in groups.values():  # warm-up: every path once (first touch of each chunk)
                for url in urls:
                    connection.get(url)
            series: dict[str, Series] = {name: Series(name) for name in groups}
            for _ in range(2):
                for name, urls in groups.items():
                    part = measure(connection, name, urls, args.requests)
                    series[name].seconds += part.seconds
                    series[name].bytes = part.bytes
            connection.close()
    health = series["health"].p50
    return {
        "tokens": args.tokens,
        "requests": args.requests * 2,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "rows": [
            {
                "endpoint": s.name,
                "p50_ms": s.p50,
                "p99_ms": s.p99,
                "x_health": s.p50 / health,
                "bytes": s.bytes,
            }
            for s in series.values()
        ],
    }


def markdown(result: dict[str, object]) -> str:
    lines = [
        f"{result['tokens']:,}-token text (fused rows, 2 layers) and a 32-token chat (2 layers × 2 heads); "
        f"{result['requests']} requests per series (two interleaved rounds); {result['machine']}.",
        "",
        "| endpoint | p50 ms | p99 ms | ×/health p50 | last body bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:  # type: ignore[attr-defined]
        lines.append(
            f"| {row['endpoint']} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['x_health']:.2f} | {row['bytes']:,} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=32768, help="length of the long text")
    parser.add_argument("--requests", type=int, default=1000, help="requests per series and round")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON here")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(markdown(result))


if __name__ == "__main__":
    main()
