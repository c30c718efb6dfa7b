"""`python -m precompute.samples` (what ./dev.sh runs): which models, which weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from precompute import samples
from ssl_attention.models.registry import REGISTRY


def run_samples(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, online: bool, codes: dict[str, int]
) -> list[list[str]]:
    calls: list[list[str]] = []

    def fake_precompute(args: list[str]) -> int:
        calls.append(args)
        return codes.get(f"{args[1]}:{args[-1]}", 0)

    monkeypatch.setenv("SSL_ATTENTION_STORE", str(tmp_path / "store.zarr"))
    monkeypatch.setattr(samples, "precompute", fake_precompute)
    monkeypatch.setattr(samples, "hub_reachable", lambda: online)
    assert samples.main() == 0
    return calls


def test_offline_runs_every_vit_with_random_weights_and_no_vlm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(samples.VLMS_ENV, raising=False)
    calls = run_samples(monkeypatch, tmp_path, online=False, codes={})
    vits = [k for k, spec in REGISTRY.items() if spec.kind == "vit"]
    assert [c[1] for c in calls] == vits
    assert all(c[-1] == "random" and "--per-head" in c and "--metrics" in c for c in calls)
    err = capsys.readouterr().err
    assert "not reachable" in err and "precompute --models vlm" in err
    # the closing note: VLMs need no GPU with random weights
    assert "`precompute --models vlm --weights random` runs them on a CPU" in " ".join(err.split())


def test_vlms_on_request_with_fallback_to_random(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(samples.VLMS_ENV, "1")
    calls = run_samples(monkeypatch, tmp_path, online=True, codes={"qwen3_vl:pretrained": 2})
    assert [c[1] for c in calls if c[1].startswith("qwen")] == ["qwen2_5_vl", "qwen3_vl", "qwen3_vl"]
    assert [c[-1] for c in calls if c[1] == "qwen3_vl"] == ["pretrained", "random"]
