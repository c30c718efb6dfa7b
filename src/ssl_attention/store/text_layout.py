"""The store layout of text language models (kind `lm`), written down as data.

One Zarr v3 group per model name, like every other kind; its attrs are `LmAttrs`. Each text is
one subgroup, written whole by one run and complete once its attrs hold `complete: true`:

    <store>/<model>/                          attrs: LmAttrs (kind "lm", checkpoint, layers, heads, ...)
      texts/<text_id>/                        attrs: TextAttrs (category, n_tokens, n_generated, ...)
        tokens/ids        (N,)         int32    token ids
        tokens/role       (N,)         uint8    index into TEXT_ROLES
        tokens/message    (N,)         int32    message index (-1: a plain text)
        tokens/utf8       (B,)         uint8    every token's text, UTF-8, concatenated
        tokens/utf8_end   (N,)         int64    end of token t's bytes in tokens/utf8
        stats             (L, S, 5)    float32  per slot: STAT_NAMES (exact, over every key)
        layers/<l>/counts   (S, N)     uint16   kept keys of each query row
        layers/<l>/keys     (K,)       uint16   kept keys, slot by slot, row by row, ascending in a row,
                                        each row's first key, then the gaps to the key before
                                        (key_encoding "delta"; int32 when N > 65,536)
        layers/<l>/values   (K,)       float16  their probabilities
        layers/<l>/summary  (S, 3, N)  float32  per row: residual (mass not kept), entropy (nats), sink
                                        (rounded to SUMMARY_BITS mantissa bits)
        layers/<l>/received (S, N)     float32  attention received by each token (sum over query rows;
                                        rounded to RECEIVED_BITS mantissa bits)
        layers/<l>/mean     (S, M, M)  float16  overview: mean over b × b blocks (b = overview_block)
        layers/<l>/max      (S, M, M)  float16  overview: max over b × b blocks

A *slot* is the fused row (slot 0: the mean over heads of the probabilities) followed, with
`--per-head`, by one slot per head (slot 1 + h); S = 1 or 1 + H. `stats` always has 1 + H slots.
Dense N × N per head is never stored: a row keeps the fewest top keys whose probabilities reach the
group's `keep_mass`, at most `max_keys` of them; row q of slot s of layer l starts in `keys` at
the sum of the counts before it (slots in order). Overviews are M × M with M = ceil(N / b).

Nothing here imports torch: the API reads the same description.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

TEXT_SCHEMA_VERSION = 1
TEXTS_GROUP = "texts"
TEXT_ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool", "text")
STAT_NAMES: tuple[str, ...] = ("entropy", "sink", "previous_token", "induction", "distance")
SUMMARY_NAMES: tuple[str, ...] = ("residual", "entropy", "sink")
# Mantissa bits the writer keeps of each summary field and of `received` (float32 has 23; the
# dropped bits are zeros that compress away): residual ±2⁻¹⁴ (6.1e-5), entropy ±6.1e-5 below
# 8 nats (relative 2⁻¹⁷ above), sink ±2⁻²⁰ (9.5e-7), received relative 2⁻¹⁸ (3.8e-6).
SUMMARY_BITS: tuple[int, ...] = (12, 16, 19)
RECEIVED_BITS = 17
KEY_ENCODINGS: tuple[str, ...] = ("absolute", "delta")  # "absolute": texts written before issue 12's t12-perf
# precompute's default --max-keys: the largest cap at which the worst case of the budget (a 2,000-token
# text, 28 layers × 16 heads, --per-head, 98 % of rows at the cap: a random model) stays ≤ 50 MB
# (26: 49.6 MB, 27: ~51 MB; docs/benchmarks.md). A row that hits the cap keeps its residual.
DEFAULT_MAX_KEYS = 26
OVERVIEW_MAX = 128  # an overview has at most this many blocks a side
OVERVIEW_EXACT = 512  # texts up to this long: the finest overview of ≤ OVERVIEW_MAX blocks a side
OVERVIEW_MIN_BLOCK = 64  # longer texts: blocks of at least this many tokens (finer: read from rows)
ROW_CHUNK = 1 << 16  # kept keys (and their values) per chunk
TEXT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
TEXT_ID_RULE = "1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit"

# Pattern labels of a head, first match wins (docs/methods.md, "Text attention statistics").
SINK_LABEL_MIN = 0.5  # mean attention on the first token
PREVIOUS_LABEL_MIN = 0.4  # mean attention on the previous token
FOCUSED_LABEL_MAX = 0.3  # mean normalised entropy below this: focused, else broad


def head_label(entropy: float, sink: float, previous_token: float) -> str:
    """`sink`, `previous-token`, `focused` or `broad` (thresholds above)."""
    if sink >= SINK_LABEL_MIN:
        return "sink"
    if previous_token >= PREVIOUS_LABEL_MIN:
        return "previous-token"
    if entropy < FOCUSED_LABEL_MAX:
        return "focused"
    return "broad"


def overview_block(n_tokens: int) -> int:
    """The smallest power of two b with ceil(N / b) ≤ OVERVIEW_MAX, and b ≥ OVERVIEW_MIN_BLOCK when
    N > OVERVIEW_EXACT. A short text's overview is exact and cheap; a longer text's only spares the
    reader the many rows of a zoomed-out tile (a 256-cell tile at block 64 spans 16,384 rows): finer
    tiles pool the kept keys, and the overview stays small (texts written before issue 12's
    t12-budget record their own, finer block in their attrs and read as before)."""
    block = 1
    while -(-n_tokens // block) > OVERVIEW_MAX:
        block *= 2
    return max(block, OVERVIEW_MIN_BLOCK) if n_tokens > OVERVIEW_EXACT else block


@dataclass(frozen=True)
class TextArraySpec:
    """One array of a text group: where, its type, shape, chunks and axis names."""

    path: str
    dtype: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dims: tuple[str, ...]


def text_specs(n_tokens: int, n_bytes: int, layers: int, heads: int) -> list[TextArraySpec]:
    """The arrays of a text group that do not depend on its layers' kept keys."""
    n = max(n_tokens, 1)
    return [
        TextArraySpec("tokens/ids", "int32", (n_tokens,), (n,), ("token",)),
        TextArraySpec("tokens/role", "uint8", (n_tokens,), (n,), ("token",)),
        TextArraySpec("tokens/message", "int32", (n_tokens,), (n,), ("token",)),
        TextArraySpec("tokens/utf8", "uint8", (n_bytes,), (max(n_bytes, 1),), ("byte",)),
        TextArraySpec("tokens/utf8_end", "int64", (n_tokens,), (n,), ("token",)),
        TextArraySpec(
            "stats",
            "float32",
            (layers, 1 + heads, len(STAT_NAMES)),
            (layers, 1 + heads, 5),
            ("layer", "slot", "stat"),
        ),
    ]


def key_dtype(n_tokens: int) -> str:
    """The dtype of `keys`: a row's first key and the gaps after it are below N."""
    return "uint16" if n_tokens <= 1 << 16 else "int32"


def layer_specs(layer: int, n_tokens: int, slots: int, n_kept: int, block: int) -> list[TextArraySpec]:
    """The arrays of `layers/<layer>`: `n_kept` kept keys over all its slots."""
    n = max(n_tokens, 1)
    m = -(-n_tokens // block)
    base = f"layers/{layer}"
    return [
        TextArraySpec(f"{base}/counts", "uint16", (slots, n_tokens), (1, n), ("slot", "query")),
        TextArraySpec(f"{base}/keys", key_dtype(n_tokens), (n_kept,), (ROW_CHUNK,), ("kept",)),
        TextArraySpec(f"{base}/values", "float16", (n_kept,), (ROW_CHUNK,), ("kept",)),
        TextArraySpec(
            f"{base}/summary", "float32", (slots, 3, n_tokens), (1, 3, n), ("slot", "summary", "query")
        ),
        TextArraySpec(f"{base}/received", "float32", (slots, n_tokens), (1, n), ("slot", "key")),
        TextArraySpec(
            f"{base}/mean", "float16", (slots, m, m), (1, max(m, 1), max(m, 1)), ("slot", "qblock", "kblock")
        ),
        TextArraySpec(
            f"{base}/max", "float16", (slots, m, m), (1, max(m, 1), max(m, 1)), ("slot", "qblock", "kblock")
        ),
    ]


def text_path(text_id: str) -> str:
    return f"{TEXTS_GROUP}/{text_id}"


@dataclass(frozen=True)
class TextAttrs:
    """The attrs of `texts/<text_id>`: what the text is and how its rows were kept."""

    text_id: str
    category: str
    n_tokens: int
    n_generated: int  # the last n_generated tokens were generated by the model (--generate)
    overview_block: int
    slots: int  # 1 (fused) or 1 + heads (--per-head)
    digest: str  # sha256 of the input line's text: the same id with new content is written again
    complete: bool = False
    written: str = ""  # a fresh id per writing: readers drop array handles of an earlier one
    key_encoding: str = "absolute"  # how `keys` holds a row: KEY_ENCODINGS (the writer: "delta")

    def to_attrs(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> TextAttrs:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in attrs.items() if k in known})


@dataclass(frozen=True)
class LmAttrs:
    """The attributes of one text language model group."""

    kind: ClassVar[str] = "lm"

    key: str
    family: str
    checkpoint: str
    weights: str  # "pretrained" or "random"
    layers: int
    heads: int  # query heads
    kv_heads: int
    context: int  # the longest text the model takes (max_position_embeddings)
    per_head: bool
    keep_mass: float
    max_keys: int
    revision: str | None = None
    dtype: str = "float16"
    schema_version: int = TEXT_SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    base_key: str = ""
    adapter: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.base_key:
            object.__setattr__(self, "base_key", self.key)

    @property
    def methods(self) -> tuple[str, ...]:
        """No image maps: a text model's attention is read through `store/texts.py`."""
        return ()

    @property
    def per_head_methods(self) -> tuple[str, ...]:
        return ()

    @property
    def patch(self) -> int:
        """Texts have no image patches (`/models` reports 0)."""
        return 0

    def method_layers(self, method: str) -> int:
        return self.layers

    def method_heads(self, method: str) -> int:
        return self.heads

    @property
    def slots(self) -> int:
        return 1 + self.heads if self.per_head else 1

    def to_attrs(self) -> dict[str, Any]:
        attrs = asdict(self)
        attrs["kind"] = self.kind
        attrs["methods"] = []
        attrs["per_head_methods"] = []
        return attrs

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> LmAttrs:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in attrs.items() if k in known})

    def identity(self) -> dict[str, Any]:
        """What must match for a group to be extended (new texts) rather than rebuilt."""
        adapter = None if self.adapter is None else {k: v for k, v in self.adapter.items() if k != "source"}
        return {
            "base_key": self.base_key,
            "family": self.family,
            "checkpoint": self.checkpoint,
            "weights": self.weights,
            "layers": self.layers,
            "heads": self.heads,
            "per_head": self.per_head,
            "keep_mass": self.keep_mass,
            "max_keys": self.max_keys,
            "schema_version": self.schema_version,
            "adapter": adapter,
        }
