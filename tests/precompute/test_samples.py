"""`python -m precompute.samples` (what ./dev.sh runs): which models, which weights."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from precompute import samples
from precompute.sample_adapter import DEMO_NAME, make_demo_adapter
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
    # the demo LoRA variant after its base, then the tiny text model over the sample texts
    assert [c[1] for c in calls] == [*vits, DEMO_NAME, samples.SAMPLE_LM]
    texts = calls[-1]
    assert texts[texts.index("--texts") + 1].endswith("texts.jsonl") and texts[-1] == "random"
    assert all(c[-1] == "random" and "--per-head" in c and "--metrics" in c for c in calls[:-1])
    demo = calls[-2]
    assert demo[demo.index("--variant") + 1] == f"{DEMO_NAME}=dinov2"
    adapter = Path(demo[demo.index("--adapter") + 1].partition("=")[2])
    assert adapter == tmp_path / "adapters" / DEMO_NAME
    err = capsys.readouterr().err
    assert "not reachable" in err and "precompute --models vlm" in err
    # the closing note: VLMs need no GPU with random weights
    assert "`precompute --models vlm --weights random` runs them on a CPU" in " ".join(err.split())


def test_vlms_on_request_with_fallback_to_random(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(samples.VLMS_ENV, "1")
    calls = run_samples(monkeypatch, tmp_path, online=True, codes={"qwen3_vl:pretrained": 2})
    assert [c[1] for c in calls if c[1].startswith("qwen")] == ["qwen2_5_vl", "qwen3_vl", "qwen3_vl"]
    assert [c[-1] for c in calls if c[1] == "qwen3_vl"] == ["pretrained", "random"]


def test_demo_adapter_is_a_deterministic_lora_that_fits_dinov2_and_moves_its_maps(tmp_path: Path) -> None:
    import hashlib

    import torch

    from ssl_attention.models.peft_adapter import check_adapter, read_adapter
    from ssl_attention.models.registry import resolve_model

    first = make_demo_adapter(tmp_path / "a")
    second = make_demo_adapter(tmp_path / "b")
    digest = [
        hashlib.sha256((f / "adapter_model.safetensors").read_bytes()).hexdigest() for f in (first, second)
    ]
    assert digest[0] == digest[1]  # the same bytes every time: a rerun of ./dev.sh skips the variant
    base = resolve_model("dinov2", None, "random")
    info = read_adapter(DEMO_NAME, str(first))
    assert (info.peft_type, info.r, info.alpha, info.target_modules) == (
        "LORA",
        8,
        16.0,
        ("k_proj", "q_proj"),
    )
    check_adapter(info, base.meta_network(), "dinov2")
    plain = base.load().model
    adapted = replace(base, name=DEMO_NAME, adapter=info).load().model
    query = adapted.encoder.layer[0].attention.q_proj.weight - plain.encoder.layer[0].attention.q_proj.weight
    value = adapted.encoder.layer[0].attention.v_proj.weight - plain.encoder.layer[0].attention.v_proj.weight
    assert float(query.abs().max()) > 1e-2 and torch.equal(value, torch.zeros_like(value))
