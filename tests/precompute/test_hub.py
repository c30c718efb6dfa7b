"""Without the hub, `precompute` says "offline" once and fails at once: no retry lines first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from precompute.hub import hub_checkpoints, reachable
from precompute.options import RunOptions
from ssl_attention.models.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens on it once closed


def test_reachable_is_a_short_tcp_probe() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert reachable(f"http://127.0.0.1:{server.getsockname()[1]}")
    assert not reachable(f"http://127.0.0.1:{closed_port()}")
    assert not reachable("https://no-such-host.invalid", timeout=1)


def test_only_runs_that_read_the_hub_probe_it(tmp_path: Path) -> None:
    def options(**changes: object) -> RunOptions:
        return RunOptions(models=["dinov2", "clip"], images=tmp_path, store="s", db="d", **changes)  # type: ignore[arg-type]

    defaults = [REGISTRY["dinov2"].default_checkpoint, REGISTRY["clip"].default_checkpoint]
    assert hub_checkpoints(options()) == defaults
    assert hub_checkpoints(options(weights="random")) == []  # shipped configs
    assert hub_checkpoints(options(weights="random", checkpoints={"clip": "org/clip-ft"})) == ["org/clip-ft"]
    folder = tmp_path / "ckpt"
    folder.mkdir()
    local = {"dinov2": str(folder), "clip": str(folder)}
    assert hub_checkpoints(options(checkpoints=local)) == []
    assert hub_checkpoints(options(checkpoints={"dinov2": "./missing", "clip": "~/nope"})) == []


def test_no_hub_says_offline_once_and_fails_without_retrying(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env |= {"HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}", "HF_HOME": str(tmp_path / "hf")}
    command = [
        sys.executable, "-m", "precompute", "--quiet", "--device", "cpu", "--models", "dinov2",
        "--images", str(tmp_path / "images"), "--store", str(tmp_path / "s.zarr"),
        "--db", f"sqlite:///{tmp_path / 'c.db'}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if "offline" in line] == [
        f"precompute: offline: the Hugging Face hub ({env['HF_ENDPOINT']}) is not reachable; "
        "only local checkpoints and the hub cache are used"
    ]
    assert "Retry" not in result.stderr
    assert lines[-1].startswith("precompute: error: cannot load pretrained weights for 'dinov2'")
    assert lines[-1].endswith("or run with --weights random")
