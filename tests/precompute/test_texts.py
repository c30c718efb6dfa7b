"""`precompute --texts`: tiny random causal LMs (Llama-, Qwen2- with sliding-window layers,
Qwen3-style) loaded the way users load them (`--variant NAME=causal_lm --checkpoint NAME=DIR`),
every stored row compared with eager attention (`output_attentions`) and every statistic with the
numpy loops of `tests/text_reference.py`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers as T

from precompute.cli import main
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.texts import TextAttentionReader
from tests.text_reference import block_pool, entropy, head_stats
from tests.tiny_lms import CONTEXT, WINDOW, save_tiny_lms

KEEP, MAX_KEYS = 0.9, 16

CHAT = {
    "id": "chat-1",
    "category": "math",
    "messages": [
        {"role": "system", "content": "You add numbers."},
        {"role": "user", "content": "What is two plus two? Two plus two."},
        {"role": "assistant", "content": "Two plus two is four."},
    ],
}
TOOLS = {
    "id": "agent-1",
    "category": "agent",
    "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "type": "function",
                    "function": {"name": "search", "arguments": {"query": "weather in Paris"}},
                }
            ],
        },
        {"role": "tool", "content": "sunny, 21 C"},
        {"role": "assistant", "content": "It is sunny in Paris."},
    ],
}
PLAIN = {"id": "story", "text": "Once upon a time a cat sat on a mat and the cat slept. " * 2}
BAD_LINES = [
    "{not json",
    json.dumps({"id": "who", "messages": [{"role": "wizard", "content": "hi"}]}),
    json.dumps({"id": "empty", "text": "   "}),
    json.dumps({**PLAIN, "text": "a duplicate"}),
    json.dumps({"id": "long", "text": "the cat sat on a mat " * 200}),  # beyond the 256-token context
]


def write_texts(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def run(tmp: Path, name: str, checkpoint: Path, texts: Path, *extra: str) -> int:
    return main(
        [
            *("--models", name, "--variant", f"{name}=causal_lm", "--checkpoint", f"{name}={checkpoint}"),
            *("--texts", str(texts), "--store", str(tmp / "store.zarr"), "--db", f"sqlite:///{tmp / 'c.db'}"),
            *("--keep-mass", str(KEEP), "--max-keys", str(MAX_KEYS), "--device", "cpu", "--quiet"),
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def lms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return save_tiny_lms(tmp_path_factory.mktemp("lms"))


@pytest.fixture(scope="module")
def stored(lms: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("run")
    texts = write_texts(
        tmp / "texts.jsonl", [json.dumps(CHAT), json.dumps(TOOLS), json.dumps(PLAIN), *BAD_LINES]
    )
    for family, checkpoint in lms.items():
        assert run(tmp, f"tiny-{family}", checkpoint, texts, "--per-head") == 0
    return tmp


def eager_attentions(checkpoint: Path, ids: list[int]) -> list[np.ndarray]:
    model = T.AutoModelForCausalLM.from_pretrained(checkpoint, attn_implementation="eager").eval()
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_attentions=True)
    return [a[0].double().numpy() for a in out.attentions]  # L × (H, N, N)


@pytest.mark.parametrize("family", ["llama", "qwen2", "qwen3"])
@pytest.mark.parametrize("text_id", ["chat-1", "agent-1", "story"])
def test_every_stored_row_is_eager_attention_on_its_kept_keys(stored, lms, family, text_id):
    reader = TextAttentionReader(str(stored / "store.zarr"))
    name = f"tiny-{family}"
    tokens = reader.tokens(name, text_id)
    ids = [t.id for t in tokens]
    eager = eager_attentions(lms[family], ids)
    n = len(ids)
    for layer, probs in enumerate(eager):
        for head in (None, *range(probs.shape[0])):
            dense = probs.mean(axis=0) if head is None else probs[head]
            for query in range(n):
                row = reader.row(name, text_id, layer, head, query)
                assert np.all(np.diff(row.keys) > 0) and row.keys.max() <= query and row.keys.size <= MAX_KEYS
                np.testing.assert_allclose(row.values, dense[query, row.keys], rtol=2e-3, atol=2e-4)
                assert row.values.sum() + row.residual == pytest.approx(1.0, abs=3e-3)
                assert row.residual == pytest.approx(1.0 - dense[query, row.keys].sum(), abs=1e-4)
                kept = dense[query, row.keys]
                assert kept.sum() >= KEEP - 1e-4 or row.keys.size == MAX_KEYS
                assert (
                    kept.sum() - kept.min() < KEEP + 1e-4
                )  # the fewest: without its smallest it falls short
                others = np.delete(dense[query, : query + 1], row.keys)
                assert others.size == 0 or others.max() <= kept.min() + 1e-5  # the top keys
                assert row.entropy == pytest.approx(entropy(dense[query, : query + 1]), abs=1e-4)
                assert row.sink == pytest.approx(dense[query, 0], abs=1e-5)
            np.testing.assert_allclose(
                reader.received(name, text_id, layer, head), dense.sum(axis=0), rtol=1e-4, atol=1e-4
            )
            assert reader.info(name, text_id).overview_block == 1  # short texts: the overview is exact
            for reduce in ("mean", "max"):
                tile = reader.matrix(name, text_id, layer, head, 1, 0, n, 0, n, reduce)
                np.testing.assert_allclose(tile, block_pool(dense, 1, reduce), rtol=2e-3, atol=2e-4)
                tile = reader.matrix(name, text_id, layer, head, 4, 0, n, 0, n, reduce)
                np.testing.assert_allclose(tile, block_pool(dense, 4, reduce), rtol=2e-3, atol=2e-4)
    stats = reader.stats(name, text_id)
    for s in stats:
        probs = eager[s.layer]
        matrix = probs.mean(axis=0) if s.head == -1 else probs[s.head]
        expected = head_stats(matrix, np.asarray(ids))
        got = [s.entropy, s.sink, s.previous_token, s.induction, s.distance]
        assert got == pytest.approx(expected, rel=1e-3, abs=1e-4)


def test_the_sliding_window_layers_look_only_inside_their_window(stored):
    reader = TextAttentionReader(str(stored / "store.zarr"))
    n = reader.info("tiny-qwen2", "agent-1").n_tokens
    assert n > 3 * WINDOW
    for layer, windowed in ((0, False), (1, True), (2, True)):
        earliest = min(int(reader.row("tiny-qwen2", "agent-1", layer, 0, q).keys.min()) - q for q in range(n))
        assert (earliest > -WINDOW) == windowed


def test_tokens_carry_their_roles_and_messages(stored):
    reader = TextAttentionReader(str(stored / "store.zarr"))
    tokens = reader.tokens("tiny-llama", "agent-1")
    text = "".join(t.text for t in tokens)
    assert '"name": "search"' in text and "sunny, 21 C" in text
    by_message = {}
    for t in tokens:
        by_message.setdefault(t.message, set()).add(t.role)
    assert by_message == {0: {"user"}, 1: {"assistant"}, 2: {"tool"}, 3: {"assistant"}}
    assert "sunny" in "".join(t.text for t in tokens if t.message == 2)
    plain = reader.tokens("tiny-llama", "story")
    assert {(t.role, t.message) for t in plain} == {("text", -1)}


def test_bad_lines_are_reported_with_their_number_and_the_rest_stored(stored, lms, capsys):
    reader = TextAttentionReader(str(stored / "store.zarr"))
    for text_id in ("chat-1", "agent-1", "story"):
        assert reader.info("tiny-llama", text_id).n_tokens > 0
    for text_id in ("who", "empty", "long"):
        with pytest.raises(KeyError):
            reader.info("tiny-llama", text_id)
    assert reader.tokens("tiny-llama", "story")[1].text != "a duplicate"  # the first line is kept
    catalog = CatalogWriter.open(f"sqlite:///{stored / 'c.db'}")
    records, total = catalog.list_texts(model="tiny-llama")
    assert total == 3 and {r.text_id for r in records} == {"chat-1", "agent-1", "story"}
    assert catalog.categories() == ["", "agent", "math"]
    # A rerun: the same texts are not written again; the bad lines are reported again, by number.
    texts = stored / "texts.jsonl"
    assert run(stored, "tiny-llama", lms["llama"], texts, "--per-head") == 0
    out = capsys.readouterr().out
    assert "tiny-llama: 0 texts (0 tokens)" in out and "3 already done" in out
    for number, why in (
        (4, "not JSON"),
        (5, 'message 0 has unknown role "wizard"'),
        (6, "empty text"),
        (7, "duplicate id 'story'"),
    ):
        assert f"line {number}: {why}" in out
    assert (
        "line 8: 2001 tokens, longer than" in out and f"longer than tiny-llama's context of {CONTEXT}" in out
    )


def test_a_changed_text_is_written_again_and_new_settings_need_force(stored, lms, capsys, tmp_path):
    texts = write_texts(
        tmp_path / "t.jsonl", [json.dumps({**CHAT, "category": "arithmetic"}), json.dumps(PLAIN)]
    )
    assert run(stored, "tiny-llama", lms["llama"], texts, "--per-head") == 0
    assert "tiny-llama: 1 texts" in capsys.readouterr().out
    catalog = CatalogWriter.open(f"sqlite:///{stored / 'c.db'}")
    record = catalog.text_record("tiny-llama", "chat-1")
    assert record is not None and record.category == "arithmetic"
    assert run(stored, "tiny-llama", lms["llama"], texts) == 2  # fused only: other settings
    assert "--force" in capsys.readouterr().err


def test_generation_agrees_with_teacher_forcing_of_the_generated_ids(lms, tmp_path):
    texts = write_texts(tmp_path / "t.jsonl", [json.dumps(CHAT)])
    assert run(tmp_path, "gen", lms["qwen3"], texts, "--generate", "6") == 0
    reader = TextAttentionReader(str(tmp_path / "store.zarr"))
    info = reader.info("gen", "chat-1")
    tokens = reader.tokens("gen", "chat-1")
    assert 1 <= info.n_generated <= 6
    ids = [t.id for t in tokens]
    prompt = len(ids) - info.n_generated
    assert {t.role for t in tokens[prompt:]} == {"assistant"} and tokens[-1].message == 2
    assert [t.message for t in tokens] == sorted(t.message for t in tokens)
    assert {t.message for t in tokens} == {0, 1, 2}
    assert "is four" not in "".join(t.text for t in tokens[:prompt])  # the answer replaces the recorded one
    model = T.AutoModelForCausalLM.from_pretrained(lms["qwen3"]).eval()
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    assert logits[prompt - 1 : -1].argmax(dim=-1).tolist() == ids[prompt:]


def test_bad_flags_say_what_is_allowed(lms, tmp_path, capsys):
    texts = write_texts(tmp_path / "t.jsonl", [json.dumps(CHAT)])
    for flags, message in (
        (("--keep-mass", "0"), "--keep-mass must be above 0"),
        (("--max-keys", "0"), "--max-keys must be 1 to 65535"),
        (("--generate", "-1"), "--generate must be 0 or more"),
    ):
        assert run(tmp_path, "x", lms["llama"], texts, *flags) == 2
        assert message in capsys.readouterr().err
    assert run(tmp_path, "x", lms["llama"], tmp_path / "missing.jsonl") == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "store.zarr").exists()


def test_a_run_killed_after_writing_a_text_resumes_where_it_stopped(lms, tmp_path):
    """SIGKILL after the second text's arrays are written, before its catalog row: the rerun
    writes that text again and the third, and keeps the first."""
    import os
    import subprocess
    import sys

    from precompute.kind import FAULT_ENV

    texts = write_texts(tmp_path / "t.jsonl", [json.dumps(CHAT), json.dumps(TOOLS), json.dumps(PLAIN)])
    args = [
        *(
            "--models",
            "k",
            "--variant",
            "k=causal_lm",
            "--checkpoint",
            f"k={lms['llama']}",
            "--texts",
            str(texts),
        ),
        *(
            "--store",
            str(tmp_path / "store.zarr"),
            "--db",
            f"sqlite:///{tmp_path / 'c.db'}",
            "--device",
            "cpu",
        ),
        "--quiet",
    ]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}:{root}", FAULT_ENV: "kill-after-write:1"}
    killed = subprocess.run(
        [sys.executable, "-m", "precompute", *args], env=env, capture_output=True, timeout=300
    )
    assert killed.returncode == -9
    catalog = CatalogWriter.open(f"sqlite:///{tmp_path / 'c.db'}")
    assert set(catalog.text_digests("k")) == {"chat-1"}
    first = TextAttentionReader(str(tmp_path / "store.zarr")).tokens("k", "chat-1")
    assert main(args) == 0
    assert set(catalog.text_digests("k")) == {"chat-1", "agent-1", "story"}
    reader = TextAttentionReader(str(tmp_path / "store.zarr"))
    assert reader.tokens("k", "chat-1") == first
    assert reader.info("k", "agent-1").n_tokens > 0


def test_a_gallery_run_leaves_the_text_models_out_with_a_note(lms, tiny_checkpoints, tmp_path, capsys):
    from tests.conftest import write_gallery
    from tests.tiny_models import IMAGE_SIZE

    write_gallery(tmp_path / "images", n_good=2)
    code = main(
        [
            *("--models", "dinov2,tl", "--variant", "tl=causal_lm", "--checkpoint", f"tl={lms['llama']}"),
            *("--checkpoint", f"dinov2={tiny_checkpoints['dinov2']}", "--image-size", str(IMAGE_SIZE)),
            *("--images", str(tmp_path / "images"), "--store", str(tmp_path / "store.zarr")),
            *("--db", f"sqlite:///{tmp_path / 'c.db'}", "--device", "cpu", "--quiet"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "tl: text language models, not run over images (pass --texts FILE.jsonl)" in out
    assert "dinov2: 2 images" in out
    texts = write_texts(tmp_path / "t.jsonl", [json.dumps(PLAIN)])
    args = ["--checkpoint", f"dinov2={tiny_checkpoints['dinov2']}", "--store", str(tmp_path / "s2.zarr")]
    assert (
        main(["--models", "dinov2", "--texts", str(texts), *args, "--db", f"sqlite:///{tmp_path / 'd.db'}"])
        == 2
    )
    assert "--texts runs text language models only; dinov2 read images" in capsys.readouterr().err
