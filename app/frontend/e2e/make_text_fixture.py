"""Build the Texts browser tests' fixture: text language model groups written through the real
text writer (`ssl_attention.store.text_writer`) and catalog.

    .venv/bin/python app/frontend/e2e/make_text_fixture.py OUT_DIR [--long N] [--no-precompute]

Writes OUT_DIR/images (empty), OUT_DIR/attention.zarr and OUT_DIR/catalog.db and prints one JSON
line with their paths. First a real run: `precompute --models tiny-qwen3 --variant
tiny-qwen3=causal_lm --checkpoint tiny-qwen3=DIR --texts FILE --per-head` over a tiny random
Qwen3-style checkpoint saved offline (`tests/tiny_lms.py`) and a chat and a tool-using trajectory
(skipped with `--no-precompute`, as the benchmarks do). Then models `tiny_lm` (per head) and its
variant `tiny_lm-ft` (another seed), 2
layers × 2 heads, each over a math chat and a tool-using agent trajectory whose attention is random
causal softmax rows reduced by the numpy reference (`tests/text_reference.py`). With `--long N`, also
`long_lm` (fused rows only) over one N-token text of synthetic sparse rows (each query keeps the
first token, itself, the previous one and a few random earlier keys): the matrix view's benchmark.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from ssl_attention.store.catalog import CatalogWriter  # noqa: E402
from ssl_attention.store.text_layout import LmAttrs, TextAttrs, overview_block  # noqa: E402
from ssl_attention.store.text_writer import TextStoreWriter  # noqa: E402
from ssl_attention.values import TextLayer  # noqa: E402
from tests.text_reference import random_causal, reference_layer  # noqa: E402

LAYERS, HEADS = 2, 2

CHATS = {
    "math-1": (
        "math",
        [
            ("system", "You are a careful tutor."),
            ("user", "What is 17 times 23? Show the steps."),
            ("assistant", "17 times 20 is 340, 17 times 3 is 51, so 17 times 23 is 391."),
        ],
    ),
    "agent-1": (
        "agent",
        [
            ("system", "You can call tools."),
            ("user", "What is the weather in Paris tomorrow?"),
            ("assistant", 'Thought: I should look it up. Action: weather(city="Paris", day="tomorrow")'),
            ("tool", '{"city": "Paris", "forecast": "light rain", "high": 14, "low": 8}'),
            ("assistant", "Tomorrow in Paris: light rain, between 8 and 14 degrees."),
        ],
    ),
}


def lm(key: str, per_head: bool) -> LmAttrs:
    return LmAttrs(
        key=key,
        family="llama",
        checkpoint="synthetic",
        weights="random",
        layers=LAYERS,
        heads=HEADS,
        kv_heads=1,
        context=65536,
        per_head=per_head,
        keep_mass=0.9,
        max_keys=16,
    )


def tokens_of(messages: list[tuple[str, str]]) -> tuple[list[str], list[str], list[int]]:
    """Words (with their leading space) as tokens, a line break closing each message."""
    texts, roles, indices = [], [], []
    for index, (role, content) in enumerate(messages):
        words = content.split(" ")
        for i, word in enumerate(words):
            texts.append(word if i == 0 else " " + word)
            roles.append(role)
            indices.append(index)
        texts.append("\n")
        roles.append(role)
        indices.append(index)
    return texts, roles, indices


def write_chat(
    writer: TextStoreWriter, catalog: CatalogWriter, attrs: LmAttrs, text_id: str, seed: int
) -> None:
    category, messages = CHATS[text_id]
    texts, roles, indices = tokens_of(messages)
    n = len(texts)
    ids = np.asarray([hash(t) % 1000 for t in texts])
    block = overview_block(n)
    text = TextAttrs(text_id, category, n, 0, block, 1 + HEADS, f"d-{text_id}")
    node = writer.begin_text(attrs, text, ids=ids.tolist(), texts=texts, roles=roles, messages=indices)
    stats = []
    for layer in range(LAYERS):
        probs = random_causal(HEADS, n, seed=seed * 10 + layer)
        rows = reference_layer(
            probs, ids, keep_mass=attrs.keep_mass, max_keys=attrs.max_keys, block=block, per_head=True
        )
        writer.write_layer(node, text, layer, rows)
        stats.append(rows.stats)
    writer.finish_text(node, attrs, text, np.stack(stats))
    content = "\n".join(c for _, c in messages)
    catalog.add_text(
        attrs.key,
        text_id,
        category=category,
        n_tokens=n,
        n_generated=0,
        content=content,
        digest=f"d-{text_id}",
        run_id=None,
    )


def sparse_layer(n: int, block: int, seed: int) -> TextLayer:
    """Synthetic fused rows of an n-token text: the sink, the previous token, itself, 4 random keys."""
    rng = np.random.default_rng(seed)
    counts = np.zeros((1, n), dtype=np.uint16)
    keys, values = [], []
    summary = np.zeros((1, 3, n), dtype=np.float32)
    for q in range(n):
        kept = np.unique(np.concatenate([[0, max(q - 1, 0), q], rng.integers(0, q + 1, size=4)]))
        weights = rng.random(kept.size) + 0.05
        weights[0] += 1.0  # the sink
        weights *= 0.95 / weights.sum()
        counts[0, q] = kept.size
        keys.append(kept)
        values.append(weights)
        summary[0, :, q] = (0.05, float(-(weights * np.log(weights)).sum()), weights[0])
    k = np.concatenate(keys).astype(np.int32)
    v = np.concatenate(values).astype(np.float32)
    queries = np.repeat(np.arange(n), counts[0])
    received = np.zeros((1, n), dtype=np.float32)
    np.add.at(received[0], k, v)
    m = -(-n // block)
    sums = np.zeros((m, m))
    top = np.zeros((m, m))
    np.add.at(sums, (queries // block, k // block), v)
    np.maximum.at(top, (queries // block, k // block), v)
    sizes = np.minimum(block, n - np.arange(m) * block).astype(np.float64)
    mean = (sums / np.outer(sizes, sizes)).astype(np.float32)[None]
    stats = np.tile(np.asarray([0.4, 0.5, 0.1, 0.0, 20.0], dtype=np.float32), (1 + HEADS, 1))
    return TextLayer(counts, k, v, summary, received, mean, top.astype(np.float32)[None], stats)


def write_long(writer: TextStoreWriter, catalog: CatalogWriter, n: int) -> None:
    attrs = lm("long_lm", per_head=False)
    writer.prepare_lm(attrs, rebuild=False)
    block = overview_block(n)
    text_id = f"long-{n}"
    text = TextAttrs(text_id, "long", n, 0, block, 1, f"d-{text_id}")
    words = [f" w{i % 97}" if i % 50 else "\n" for i in range(n)]
    node = writer.begin_text(
        attrs, text, ids=[i % 97 for i in range(n)], texts=words, roles=["text"] * n, messages=[-1] * n
    )
    stats = []
    for layer in range(LAYERS):
        rows = sparse_layer(n, block, seed=layer)
        writer.write_layer(node, text, layer, rows)
        stats.append(rows.stats)
    writer.finish_text(node, attrs, text, np.stack(stats))
    catalog.add_text(
        attrs.key,
        text_id,
        category="long",
        n_tokens=n,
        n_generated=0,
        content="".join(words[:200]),
        digest=f"d-{text_id}",
        run_id=None,
    )


PRECOMPUTED = [
    {
        "id": "chat-1",
        "category": "math",
        "messages": [
            {"role": "system", "content": "You add numbers."},
            {"role": "user", "content": "What is two plus two? Two plus two."},
            {"role": "assistant", "content": "Two plus two is four."},
        ],
    },
    {
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
    },
]


def precompute_tiny(out: Path, store: str, db: str) -> None:
    """A real `precompute --texts` run of a tiny random Qwen3-style model (no hub: saved here)."""
    from precompute.cli import main as precompute
    from tests.tiny_lms import save_tiny_lms

    checkpoint = save_tiny_lms(out / "checkpoints")["qwen3"]
    texts = out / "texts.jsonl"
    texts.write_text("".join(json.dumps(line) + "\n" for line in PRECOMPUTED))
    name = "tiny-qwen3"
    code = precompute(
        [
            *("--models", name, "--variant", f"{name}=causal_lm", "--checkpoint", f"{name}={checkpoint}"),
            *(
                "--texts",
                str(texts),
                "--store",
                store,
                "--db",
                db,
                "--per-head",
                "--device",
                "cpu",
                "--quiet",
            ),
        ]
    )
    if code != 0:
        raise SystemExit(f"precompute failed with {code}")


def main() -> None:
    out = Path(sys.argv[1])
    long = int(sys.argv[sys.argv.index("--long") + 1]) if "--long" in sys.argv else 0
    (out / "images").mkdir(parents=True, exist_ok=True)
    store, db = str(out / "attention.zarr"), f"sqlite:///{out / 'catalog.db'}"
    if "--no-precompute" not in sys.argv:
        precompute_tiny(out, store, db)
    writer = TextStoreWriter(store)
    catalog = CatalogWriter.open(db)
    for key, seed in (("tiny_lm", 1), ("tiny_lm-ft", 2)):
        attrs = lm(key, per_head=True)
        writer.prepare_lm(attrs, rebuild=False)
        for text_id in CHATS:
            write_chat(writer, catalog, attrs, text_id, seed)
    if long:
        write_long(writer, catalog, long)
    catalog.close()
    print(json.dumps({"images": str(out / "images"), "store": store, "db": db}))


if __name__ == "__main__":
    main()
