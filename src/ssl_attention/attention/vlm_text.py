"""Text → text attention of a VLM's language model: its prompt and answer tokens, kept as a text
language model's are (`attention/text.py`, `store/text_layout.py`), so the texts reader serves them.

After a prompt's answer is known (generated or teacher-forced), one pass over image + prompt +
answer runs with `VlmTextRecorder` on the language layers. Its queries are the *text* tokens (every
position that is not an image token: the chat template before the image, the vision markers, the
prompt, the answer), its keys the earlier text tokens. Each row is the model's own softmax over
every key, image tokens included, restricted to the text columns — so a row's text probabilities
sum to 1 − (its image mass), and through the same fold as a text model's rows (no logits given):

    kept + residual = 1, residual = the text keys not kept + the row's image mass
    entropy = −Σ_text p log p   (the text keys' part of the row's entropy, nats)
    sink = A[q, first token];  statistics as a text model's, over the text positions

The image mass of each row after the image is the prompt's `image_mass` array (`attention/vlm.py`);
rows before the image have none. Positions are re-indexed over the text tokens only (0 … N − 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from PIL import Image
from torch import nn

from ssl_attention.attention.capture import additive_mask, expand_kv_heads, observing
from ssl_attention.attention.text_fold import Fold
from ssl_attention.attention.vlm import PromptMaps
from ssl_attention.models.qwen_vl import QwenVLAdapter, VlmInputs
from ssl_attention.values import TextLayer

DEFAULT_QUERY_CHUNK_BYTES = 64 * 2**20


class VlmTextRecorder:
    """Records the text rows × text columns of every language layer of one full pass (batch of one)."""

    def __init__(
        self,
        attention_modules: Sequence[nn.Module],
        token_ids: torch.Tensor,
        positions: torch.Tensor,
        *,
        keep_mass: float,
        max_keys: int,
        per_head: bool,
        block: int,
        query_chunk_bytes: int = DEFAULT_QUERY_CHUNK_BYTES,
    ) -> None:
        """`token_ids` (N,): the text tokens' ids; `positions` (N,): their places in the sequence."""
        self.layer_of = {id(m): i for i, m in enumerate(attention_modules)}
        self.n_layers = len(attention_modules)
        self.ids = token_ids.reshape(-1)
        self.positions = positions.reshape(-1)
        self.keep_mass, self.max_keys, self.per_head, self.block = keep_mass, max_keys, per_head, block
        self.query_chunk_bytes = query_chunk_bytes
        self.layers: list[TextLayer] = []

    @contextmanager
    def recording(self) -> Iterator[VlmTextRecorder]:
        self.layers = []
        with observing(self):
            yield self
        if len(self.layers) != self.n_layers:
            raise RuntimeError(f"recorded {len(self.layers)} of {self.n_layers} language layers")

    @torch.no_grad()
    def observe(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> None:
        layer = self.layer_of.get(id(module))
        if layer is None:
            return  # a vision block
        if layer != len(self.layers):
            raise RuntimeError(f"language layers ran out of order: got {layer}, expected {len(self.layers)}")
        batch, heads, n_queries, head_dim = query.shape
        if batch != 1 or n_queries != key.shape[2]:
            raise RuntimeError("VLM text capture needs one uncached pass over one whole sequence")
        scale = scaling if scaling is not None else head_dim**-0.5
        q = query[0].float() * scale  # (H, S, d)
        k_t = expand_kv_heads(key, heads)[0].float().transpose(-1, -2)  # (H, d, S)
        self.layers.append(self._layer(q, k_t, additive_mask(attention_mask, torch.float32)))

    def _layer(self, q: torch.Tensor, k_t: torch.Tensor, mask: torch.Tensor | None) -> TextLayer:
        heads, length, _ = q.shape
        device = q.device
        positions = self.positions.to(device)
        n = int(positions.numel())
        every = 1 + heads
        block = self.block
        fold = Fold(
            ids=self.ids.to(device),
            n=n,
            slots=every if self.per_head else 1,
            every=every,
            block=block,
            keep_mass=self.keep_mass,
            max_keys=self.max_keys,
        )
        key_pos = torch.arange(length, device=device)
        chunk = max(1, min(n, self.query_chunk_bytes // (every * length * 4 * 6)))
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            width = min(n, -(-stop // block) * block)  # text columns: whole overview blocks
            rows = torch.arange(start, stop, device=device)
            at = positions[start:stop]
            scores = torch.matmul(q[:, at], k_t)  # (H, C, S): every key, the image's included
            if mask is not None:
                scores = scores + mask[0, :, at]
            else:  # is_causal sdpa built no mask: causality is ours
                scores = scores.masked_fill(key_pos[None, :] > at[:, None], float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            del scores
            text = probs[:, :, positions[:width]]  # (H, C, W): the model's own probabilities
            del probs
            fold.add(0, text.mean(dim=0, keepdim=True), rows)  # slot 0: the fused row
            fold.add(1, text, rows)  # slots 1 + h: the heads
            del text
        return fold.layer()


@dataclass
class VlmTextCapture:
    """One prompt's text tokens (N, sequence order, image tokens left out) and its layers."""

    prompt: str
    ids: list[int]
    texts: list[str]
    roles: list[str]  # TEXT_ROLES: system, user, assistant
    messages: list[int]
    positions: list[int]  # each token's place in the sequence
    n_generated: int  # the answer's tokens (the last ones)
    block: int
    layers: list[TextLayer] = field(default_factory=list)


def text_roles(adapter: QwenVLAdapter, inputs: VlmInputs, n_tokens: int) -> tuple[list[str], list[int]]:
    """Role and message index of every position of the sequence: the system message (when the
    template has one), the user's (up to its `<|im_end|>` line), then the assistant's."""

    def count(text: str) -> int:
        return len(adapter.tokenizer(text, add_special_tokens=False)["input_ids"])

    system = (
        0
        if adapter.system_prompt is None
        else count(f"<|im_start|>system\n{adapter.system_prompt}<|im_end|>\n")
    )
    user_end = inputs.prompt_tokens[1] + count("<|im_end|>\n")
    first = 0 if system else -1  # the user's message index is 1 after a system message
    roles, messages = [], []
    for position in range(n_tokens):
        if position < system:
            roles.append("system")
            messages.append(0)
        elif position < user_end:
            roles.append("user")
            messages.append(first + 1)
        else:
            roles.append("assistant")
            messages.append(first + 2)
    return roles, messages


def capture_vlm_texts(
    adapter: QwenVLAdapter,
    image: Image.Image,
    prompts: Sequence[PromptMaps],
    *,
    min_pixels: int,
    max_pixels: int,
    keep_mass: float,
    max_keys: int,
    per_head: bool,
    overview_block: Callable[[int], int],
    query_chunk_bytes: int = DEFAULT_QUERY_CHUNK_BYTES,
) -> list[VlmTextCapture]:
    """Per prompt (its answer as stored), one recorded pass: the text tokens' text → text rows;
    `overview_block(N)`: the block of a text of N tokens' overviews (`store/text_layout.py`)."""
    captures = []
    for prompt in prompts:
        inputs = adapter.prepare(image, prompt.prompt, min_pixels=min_pixels, max_pixels=max_pixels)
        answer = [t.id for t in prompt.tokens if t.role == "answer"]
        ids = inputs.input_ids[0].tolist() + answer
        start, stop = inputs.image_tokens
        positions = [*range(start), *range(stop, len(ids))]
        roles, messages = text_roles(adapter, inputs, len(ids))
        text_ids = [ids[p] for p in positions]
        capture = VlmTextCapture(
            prompt=prompt.prompt,
            ids=text_ids,
            texts=[adapter.token_text(i) for i in text_ids],
            roles=[roles[p] for p in positions],
            messages=[messages[p] for p in positions],
            positions=positions,
            n_generated=len(answer),
            block=overview_block(len(positions)),
        )
        device = adapter.model.device
        recorder = VlmTextRecorder(
            adapter.language_attention_modules(),
            torch.tensor(text_ids, device=device),
            torch.tensor(positions, device=device),
            keep_mass=keep_mass,
            max_keys=max_keys,
            per_head=per_head,
            block=capture.block,
            query_chunk_bytes=query_chunk_bytes,
        )
        with torch.inference_mode(), recorder.recording():
            adapter.forward(inputs, answer)
        capture.layers = recorder.layers
        captures.append(capture)
    return captures
