"""Gradient-weighted relevancy of a VLM's image tokens to one answer token (method `gradrollout`).

Chefer, Gur & Wolf 2021 (eq. 5-6) over the language model's layers, with the target

    y = log p(a_k | everything before it)

under teacher forcing of the recorded answer a: the sequence prompt + a_0 … a_{k−1} is run once
(no cache, the causal mask of generation), and y is the log-softmax of the last position's logits
at a_k's id. Per layer l: Ā_l = mean_h((∂y/∂A_l ⊙ A_l)⁺), R = (I + Ā_{L−1}) ··· (I + Ā_0), and the map
is the row of R of the position that *predicts* a_k (the one before it: a_k's own row has no
gradient, a token never attends to itself before it is read) on the image-token columns, laid on
the merged grid (the image tokens are in raster order).

The language layers run through `RelevanceRecorder` (`attention/gradrollout.py`): only q, k, v
are kept per layer, A is recomputed in query chunks in backward and only the relevance row is
carried — never L × H × N × N. The gradient starts at the input embeddings (a leaf made by a hook
on the embedding), so the vision tower runs without a graph and no weight gradient is computed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from ssl_attention.attention.gradrollout import RelevanceRecorder
from ssl_attention.models.qwen_vl import QwenVLAdapter, VlmInputs
from ssl_attention.models.token_layout import TokenLayout


@dataclass(frozen=True)
class AnswerToken:
    """Which answer token a `gradrollout` map explains: `answer_token` as asked (`--answer-token`),
    `index` its place among the answer's tokens, `position` its place in the sequence."""

    answer_token: int
    index: int
    position: int
    token_id: int


def answer_tokens(adapter: QwenVLAdapter, answer: Sequence[int]) -> list[int]:
    """The answer's tokens a map can explain: the answer without the stop token that ends it."""
    ids = list(answer)
    if ids and ids[-1] in adapter.stop_ids():
        ids.pop()
    return ids


def choose_answer_token(
    adapter: QwenVLAdapter, inputs: VlmInputs, answer: Sequence[int], answer_token: int
) -> AnswerToken | str:
    """The token `answer_token` names (negative: from the end), or why there is none (a note)."""
    ids = answer_tokens(adapter, answer)
    if not ids:
        return "the answer has no token to explain (empty, or only the stop token)"
    index = answer_token + len(ids) if answer_token < 0 else answer_token
    if not 0 <= index < len(ids):
        return (
            f"--answer-token {answer_token} is out of range: this answer has {len(ids)} tokens "
            f"(allowed {-len(ids)}..{len(ids) - 1})"
        )
    return AnswerToken(answer_token, index, inputs.length + index, ids[index])


class AnswerRelevanceRecorder(RelevanceRecorder):
    """A `RelevanceRecorder` over causal language layers whose carried row starts at one position."""

    def __init__(
        self, attention_modules: Sequence[nn.Module], row: int, *, query_chunk_bytes: int = 16 * 2**20
    ) -> None:
        super().__init__(attention_modules, TokenLayout((), (1, 1)), query_chunk_bytes=query_chunk_bytes)
        self.row = row

    def _start_row(self, batch: int, tokens: int, device: torch.device) -> torch.Tensor:
        if not 0 <= self.row < tokens:
            raise RuntimeError(f"row {self.row} is outside the sequence of {tokens} tokens")
        start = torch.zeros(batch, tokens, device=device, dtype=torch.float32)
        start[:, self.row] = 1.0
        return start

    def relevance(self) -> torch.Tensor:
        """(B, N): the row of R of `row` over every position."""
        if self._row is None or self._expected != -1:
            raise RuntimeError(
                f"backward reached {self.n_layers - 1 - self._expected} of {self.n_layers} layers"
            )
        return self._row


@contextmanager
def _frozen(model: nn.Module) -> Iterator[None]:
    """No parameter requires a gradient inside (no weight gradients, no graph through the tower)."""
    flags = [(p, p.requires_grad) for p in model.parameters()]
    try:
        for parameter, _ in flags:
            parameter.requires_grad_(False)
        yield
    finally:
        for parameter, flag in flags:
            parameter.requires_grad_(flag)


@contextmanager
def _embedding_leaf(embedding: nn.Module) -> Iterator[list[torch.Tensor]]:
    """The embedding's output, made a leaf that requires a gradient (where backward stops)."""
    leaves: list[torch.Tensor] = []

    def hook(_module: nn.Module, _args: object, output: torch.Tensor) -> torch.Tensor:
        leaf = output.detach().clone().requires_grad_(True)
        leaves.append(leaf)
        return leaf

    handle = embedding.register_forward_hook(hook)
    try:
        yield leaves
    finally:
        handle.remove()


def answer_relevance(
    adapter: QwenVLAdapter,
    inputs: VlmInputs,
    answer: Sequence[int],
    token: AnswerToken,
    *,
    query_chunk_bytes: int = 16 * 2**20,
) -> torch.Tensor:
    """(gh, gw) float32: the relevancy of each image token to answer token `token` (see the module)."""
    model = adapter.model
    device = model.device
    index = token.index
    ids = torch.cat([inputs.input_ids, torch.tensor([list(answer[:index])], dtype=torch.long)], dim=1)
    ids = ids.to(device)
    recorder = AnswerRelevanceRecorder(
        adapter.language_attention_modules(), ids.shape[1] - 1, query_chunk_bytes=query_chunk_bytes
    )
    embedding = model.get_input_embeddings()
    with (
        torch.inference_mode(False),
        _frozen(model),
        _embedding_leaf(embedding) as leaves,
        recorder.recording(),
        torch.enable_grad(),
    ):
        logits = model(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            mm_token_type_ids=inputs.token_types(index).to(device),
            pixel_values=inputs.pixel_values.clone().to(device, model.dtype),
            image_grid_thw=inputs.image_grid_thw.to(device),
            logits_to_keep=1,
            use_cache=False,
        ).logits
        target = torch.log_softmax(logits[0, -1].float(), dim=-1)[token.token_id]
        target.backward(inputs=leaves)
        row = recorder.relevance()[0]
    start, stop = inputs.image_tokens
    return row[start:stop].detach().unflatten(0, inputs.grid)
