"""PEFT LoRA adapters on text language models (`--variant NAME=causal_lm --adapter NAME=DIR`): a
tiny random Qwen3-style model and a random LoRA on its attention projections (`init_lora_weights=
False`, saved with `save_pretrained`), loaded the way users load them; every stored row compared
with eager `output_attentions` of the merged model (PEFT's own `merge_and_unload`, done here), and
the variant listed beside its base."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers as T
from fastapi.testclient import TestClient
from peft import PeftModel

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.cli import main
from ssl_attention.store.texts import TextAttentionReader
from tests.tiny_adapters import save_lora
from tests.tiny_lms import save_tiny_lms

KEEP, MAX_KEYS = 0.9, 16
CHAT = {
    "id": "chat-1",
    "category": "math",
    "messages": [
        {"role": "user", "content": "What is two plus two? Two plus two."},
        {"role": "assistant", "content": "Two plus two is four."},
    ],
}
TARGETS = ["q_proj", "k_proj", "v_proj"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("lora")
    checkpoint = save_tiny_lms(tmp / "lms")["qwen3"]
    base = T.AutoModelForCausalLM.from_pretrained(checkpoint)
    adapter = save_lora(base, tmp / "adapter", TARGETS, seed=3, r=4, alpha=8, scale=4.0)
    texts = tmp / "texts.jsonl"
    texts.write_text(json.dumps(CHAT) + "\n")
    code = main(
        [
            *("--models", "tiny,tiny-lora"),
            *("--variant", "tiny=causal_lm", "--checkpoint", f"tiny={checkpoint}"),
            *("--variant", "tiny-lora=causal_lm", "--checkpoint", f"tiny-lora={checkpoint}"),
            *("--adapter", f"tiny-lora={adapter}"),
            *("--texts", str(texts), "--store", str(tmp / "store.zarr"), "--db", f"sqlite:///{tmp / 'c.db'}"),
            *(
                "--keep-mass",
                str(KEEP),
                "--max-keys",
                str(MAX_KEYS),
                "--per-head",
                "--device",
                "cpu",
                "--quiet",
            ),
        ]
    )
    assert code == 0
    return {"tmp": tmp, "checkpoint": checkpoint, "adapter": adapter}


def eager(model: T.PreTrainedModel, ids: list[int]) -> list[np.ndarray]:
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_attentions=True)
    return [a[0].double().numpy() for a in out.attentions]  # L × (H, N, N)


def merged_model(checkpoint: Path, adapter: Path) -> T.PreTrainedModel:
    base = T.AutoModelForCausalLM.from_pretrained(checkpoint, attn_implementation="eager")
    return PeftModel.from_pretrained(base, adapter).merge_and_unload().eval()


def test_lora_rows_are_eager_attention_of_the_merged_model(stored: dict[str, Path]) -> None:
    reader = TextAttentionReader(str(stored["tmp"] / "store.zarr"))
    ids = [t.id for t in reader.tokens("tiny-lora", "chat-1")]
    assert ids == [t.id for t in reader.tokens("tiny", "chat-1")]
    merged = eager(merged_model(stored["checkpoint"], stored["adapter"]), ids)
    base = eager(
        T.AutoModelForCausalLM.from_pretrained(stored["checkpoint"], attn_implementation="eager").eval(), ids
    )
    moved = max(float(np.abs(m - b).max()) for m, b in zip(merged, base, strict=True))
    assert moved > 0.05  # the adapter really changes the attention
    n = len(ids)
    for layer, probs in enumerate(merged):
        for head in (None, *range(probs.shape[0])):
            dense = probs.mean(axis=0) if head is None else probs[head]
            for query in range(n):
                row = reader.row("tiny-lora", "chat-1", layer, head, query)
                np.testing.assert_allclose(row.values, dense[query, row.keys], rtol=2e-3, atol=2e-4)
                assert row.residual == pytest.approx(1.0 - dense[query, row.keys].sum(), abs=1e-4)
                assert row.sink == pytest.approx(dense[query, 0], abs=1e-5)
                others = np.delete(dense[query, : query + 1], row.keys)
                assert others.size == 0 or others.max() <= dense[query, row.keys].min() + 1e-5
    # the base group is the base model's attention, not the adapter's
    row = reader.row("tiny", "chat-1", 1, 0, n - 1)
    np.testing.assert_allclose(row.values, base[1][0][n - 1, row.keys], rtol=2e-3, atol=2e-4)


def test_the_variant_records_its_adapter_and_is_listed_beside_its_base(stored: dict[str, Path]) -> None:
    reader = TextAttentionReader(str(stored["tmp"] / "store.zarr"))
    lora, base = reader.model("tiny-lora"), reader.model("tiny")
    assert lora.base_key == base.base_key == "causal_lm" and base.adapter is None
    assert lora.adapter is not None
    assert (lora.adapter["peft_type"], lora.adapter["r"], lora.adapter["merged"]) == ("LORA", 4, True)
    assert sorted(lora.adapter["target_modules"]) == sorted(TARGETS)
    tmp = stored["tmp"]
    settings = ApiSettings(
        images=tmp / "images",
        store=str(tmp / "store.zarr"),
        db=f"sqlite:///{tmp / 'c.db'}",
        frontend_dist=tmp / "no-frontend",
    )
    with TestClient(create_app(settings)) as client:
        listed = client.get("/texts", params={"q": "chat-1"}).json()
        assert sorted(t["model"] for t in listed["texts"]) == ["tiny", "tiny-lora"]
        models = {m["key"]: m for m in client.get("/models").json()["models"]}
        assert models["tiny-lora"]["base_key"] == models["tiny"]["base_key"] == "causal_lm"
        assert models["tiny-lora"]["kind"] == "lm"
        for name in ("tiny", "tiny-lora"):
            row = client.get("/texts/chat-1/row", params={"model": name, "layer": 0, "query": 3})
            assert row.status_code == 200 and row.json()["keys"]
