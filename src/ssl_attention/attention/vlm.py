"""Attention capture for VLMs: text→image rows of the language model, and the vision tower's maps.

Both recorders see the q and k the `ssl_capture` backend hands over (after RoPE / M-RoPE) and
recompute softmax(q·kᵀ·scale) in float32, keeping only what is stored:

- `TextImageRecorder`, per language-model layer l and head h: A⁽ˡʰ⁾[t, image tokens] for the
  text rows t after the image, computed for those rows only (T × S scores, never S × S) in
  query chunks; plus the image mass Σ_image A⁽ˡʰ⁾[t, ·] in float32. It records while the
  answer is generated: the prefill pass brings the prompt's rows, every cached decoding step
  one more row, so no extra forward pass is needed.
- `VisionRecorder`, per vision block: the mean over query rows (per head) and the rollout
  (mean over rows of R⁽ˡ⁾; the tower has no CLS). Qwen2.5-VL's windowed blocks call attention
  once per window, so a layer arrives as consecutive diagonal blocks of A; block-diagonal
  rollout is then Σ n_w²·N work instead of N³.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from torch import nn

from ssl_attention.attention.capture import additive_mask, expand_kv_heads, observing
from ssl_attention.models.qwen_vl import QwenVLAdapter, VlmInputs
from ssl_attention.values import IMAGE_MASS, VlmToken

DEFAULT_QUERY_CHUNK_BYTES = 16 * 2**20


def _chunk_rows(query_chunk_bytes: int, heads: int, columns: int, rows: int) -> int:
    # scores, probabilities and one temporary of shape (H, chunk, columns) in float32
    per_row = heads * columns * 4 * 3
    return max(1, min(rows, query_chunk_bytes // per_row))


class TextImageRecorder:
    """Language-model layers: attention of every text row from `first_row` on to the image columns.

    Passes may come one after another (a prefill, then cached steps of one row each): the rows
    of a call are the positions [keys − queries, keys), as in causal attention with a cache."""

    def __init__(
        self,
        attention_modules: Sequence[nn.Module],
        first_row: int,
        image_tokens: tuple[int, int],
        *,
        query_chunk_bytes: int = DEFAULT_QUERY_CHUNK_BYTES,
    ) -> None:
        self.layer_of = {id(m): i for i, m in enumerate(attention_modules)}
        self.n_layers = len(attention_modules)
        self.first_row = first_row  # the first stored position: the token after the image
        self.image_tokens = image_tokens
        self.query_chunk_bytes = query_chunk_bytes
        self.maps: list[list[torch.Tensor]] = [
            [] for _ in attention_modules
        ]  # per layer: (rows, H, n) blocks
        self.mass: list[list[torch.Tensor]] = [[] for _ in attention_modules]  # per layer: (rows, H) blocks
        self.next_row = [first_row] * self.n_layers
        self._next_layer = 0

    def handles(self, module: nn.Module) -> bool:
        return id(module) in self.layer_of

    @torch.no_grad()
    def observe(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> None:
        layer = self.layer_of[id(module)]
        if layer != self._next_layer:
            raise RuntimeError(f"language layers ran out of order: got {layer}, expected {self._next_layer}")
        self._next_layer = (layer + 1) % self.n_layers
        batch, heads, n_queries, head_dim = query.shape
        if batch != 1:
            raise RuntimeError(f"VLM capture runs one sequence at a time, got a batch of {batch}")
        n_keys = key.shape[2]
        first_query = n_keys - n_queries  # position of the call's first query row
        if first_query + n_queries <= self.first_row:
            return  # only rows before the image ends: nothing to store
        if max(first_query, self.first_row) != self.next_row[layer]:
            raise RuntimeError(
                f"layer {layer} skipped rows: got {first_query}, expected {self.next_row[layer]}"
            )
        start_row = max(first_query, self.first_row)
        rows = torch.arange(start_row, first_query + n_queries, device=query.device)
        self.next_row[layer] = first_query + n_queries  # plain ints: no device sync per step
        scale = scaling if scaling is not None else head_dim**-0.5
        q = query[0, :, start_row - first_query :].float() * scale  # (H, T, d)
        # Grouped-query attention without copying keys: the G query heads of a key head share a matmul.
        kv_heads = key.shape[1]
        groups = heads // kv_heads
        k_t = key[0].float().transpose(-1, -2)  # (KV, d, S)
        mask = additive_mask(attention_mask, torch.float32)
        start, stop = self.image_tokens
        key_positions = torch.arange(n_keys, device=q.device)

        maps, masses = [], []
        chunk = _chunk_rows(self.query_chunk_bytes, heads, n_keys, len(rows))
        for first in range(0, len(rows), chunk):
            chunk_rows = rows[first : first + chunk]
            q_chunk = q[:, first : first + chunk].reshape(kv_heads, groups * len(chunk_rows), head_dim)
            scores = torch.matmul(q_chunk, k_t).view(heads, len(chunk_rows), n_keys)  # (H, c, S)
            if mask is not None:
                scores = scores + mask[0, :, chunk_rows - first_query]
            elif start_row + first < n_keys - 1:  # is_causal sdpa built no mask: causality is ours
                future = key_positions[None, :] > chunk_rows[:, None]
                scores = scores.masked_fill(future, float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            del scores
            image = probs[:, :, start:stop]  # (H, c, n_image)
            maps.append(image.transpose(0, 1).contiguous())
            masses.append(image.sum(dim=-1).transpose(0, 1))
            del probs
        self.maps[layer].append(torch.cat(maps))
        self.mass[layer].append(torch.cat(masses))

    def results(self, n_positions: int, grid: tuple[int, int]) -> dict[str, torch.Tensor]:
        """`text/heads` (T, L, H, gh, gw), `text/fused` (T, L, gh, gw), `image_mass` (T, L, H)
        for the positions first_row … n_positions − 1."""
        if self.next_row != [n_positions] * self.n_layers:
            raise RuntimeError(f"recorded rows up to {self.next_row} of {n_positions} in the language layers")
        heads = torch.stack([torch.cat(blocks) for blocks in self.maps], dim=1).unflatten(-1, grid)
        return {
            "text/heads": heads,
            "text/fused": heads.mean(dim=2),
            IMAGE_MASS: torch.stack([torch.cat(blocks) for blocks in self.mass], dim=1),
        }


class VisionRecorder:
    """Vision-tower blocks: mean over rows per head and rollout, from one or several diagonal blocks."""

    def __init__(
        self,
        attention_modules: Sequence[nn.Module],
        n_tokens: int,
        *,
        query_chunk_bytes: int = DEFAULT_QUERY_CHUNK_BYTES,
    ) -> None:
        self.layer_of = {id(m): i for i, m in enumerate(attention_modules)}
        self.n_layers = len(attention_modules)
        self.n_tokens = n_tokens
        self.query_chunk_bytes = query_chunk_bytes
        self.mean_heads: list[torch.Tensor] = []  # per layer (H, N)
        self.rollout: list[torch.Tensor] = []  # per layer (N,)
        self._layer = -1
        self._offset = 0
        self._received: torch.Tensor | None = None  # (H, N) column sums of this layer
        self._product: torch.Tensor | None = None  # R⁽ˡ⁻¹⁾ (N, N)
        self._next: torch.Tensor | None = None  # R⁽ˡ⁾ being filled block by block

    def handles(self, module: nn.Module) -> bool:
        return id(module) in self.layer_of

    @torch.no_grad()
    def observe(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> None:
        layer = self.layer_of[id(module)]
        if layer != self._layer:
            if layer != self._layer + 1:
                raise RuntimeError(f"vision blocks ran out of order: got {layer} after {self._layer}")
            self._finish_layer()
            self._start_layer(layer, query)
        _batch, heads, length, head_dim = query.shape
        key = expand_kv_heads(key, heads)
        scale = scaling if scaling is not None else head_dim**-0.5
        q = query[0].float() * scale  # (H, n, d)
        k_t = key[0].float().transpose(-1, -2)  # (H, d, n)
        mask = additive_mask(attention_mask, torch.float32)
        block = slice(self._offset, self._offset + length)
        assert self._received is not None and self._product is not None and self._next is not None
        previous = self._product[block]  # rows of R⁽ˡ⁻¹⁾ this block mixes: (n, N)
        chunk = _chunk_rows(self.query_chunk_bytes, heads, length, length)
        for first in range(0, length, chunk):
            scores = torch.matmul(q[:, first : first + chunk], k_t)  # (H, c, n)
            if mask is not None:
                scores = scores + mask[0, :, first : first + chunk]
            probs = torch.softmax(scores, dim=-1)
            del scores
            self._received[:, block] += probs.sum(dim=1)
            head_mean = probs.mean(dim=0)  # (c, n)
            del probs
            rows = slice(self._offset + first, self._offset + first + head_mean.shape[0])
            # R⁽ˡ⁾[rows] = ½·Ā⁽ˡ⁾[rows, block]·R⁽ˡ⁻¹⁾[block] + ½·R⁽ˡ⁻¹⁾[rows]
            torch.addmm(self._product[rows], head_mean, previous, beta=0.5, alpha=0.5, out=self._next[rows])
        self._offset += length

    def _start_layer(self, layer: int, query: torch.Tensor) -> None:
        n, heads = self.n_tokens, query.shape[1]
        if self._product is None:
            self._product = torch.eye(n, device=query.device, dtype=torch.float32)
        self._next = torch.empty_like(self._product)
        self._received = torch.zeros(heads, n, device=query.device, dtype=torch.float32)
        self._layer = layer
        self._offset = 0

    def _finish_layer(self) -> None:
        if self._layer < 0:
            return
        if self._offset != self.n_tokens:
            raise RuntimeError(f"vision block {self._layer} covered {self._offset} of {self.n_tokens} tokens")
        assert self._received is not None and self._next is not None
        self.mean_heads.append(self._received / self.n_tokens)
        self._product, self._next = self._next, None
        self.rollout.append(self._product.mean(dim=0))

    def results(self, raster_order: torch.Tensor, vision_grid: tuple[int, int]) -> dict[str, torch.Tensor]:
        """`mean/heads` (Lv, Hv, vgh, vgw), `mean/fused`, `rollout/fused` (Lv, vgh, vgw), raster order."""
        self._finish_layer()
        self._layer = self.n_layers  # finished
        self._product = None
        if len(self.mean_heads) != self.n_layers:
            raise RuntimeError(f"recorded {len(self.mean_heads)} of {self.n_layers} vision blocks")
        order = raster_order.to(self.mean_heads[0].device)

        def to_raster(values: torch.Tensor) -> torch.Tensor:
            out = torch.empty_like(values)
            out[..., order] = values
            return out.unflatten(-1, vision_grid)

        heads = to_raster(torch.stack(self.mean_heads))
        return {
            "mean/heads": heads,
            "mean/fused": heads.mean(dim=1),
            "rollout/fused": to_raster(torch.stack(self.rollout)),
        }


class VlmRecorder:
    """Routes each attention call to the vision or the text recorder (other modules are ignored)."""

    def __init__(self, text: TextImageRecorder, vision: VisionRecorder | None) -> None:
        self.text = text
        self.vision = vision

    def observe(
        self,
        module: nn.Module,
        query: torch.Tensor,
        key: torch.Tensor,
        attention_mask: torch.Tensor | None,
        scaling: float | None,
    ) -> None:
        if self.text.handles(module):
            self.text.observe(module, query, key, attention_mask, scaling)
        elif self.vision is not None and self.vision.handles(module):
            self.vision.observe(module, query, key, attention_mask, scaling)

    @contextmanager
    def recording(self) -> Iterator[VlmRecorder]:
        with observing(self):
            yield self


@dataclass
class PromptMaps:
    """One prompt's answer, its stored tokens and their maps (float32 on the model's device)."""

    prompt: str
    answer: str  # the text of the stored answer tokens (forced: the teacher's)
    tokens: list[VlmToken]
    arrays: dict[str, torch.Tensor]
    own_answer: str = ""  # what the model generated by itself (= answer unless forced)
    forced: bool = False  # the answer tokens were given (teacher forcing), not generated
    explains: dict[str, Any] | None = None  # gradrollout's answer token (precompute/vlm_gradients.py)


@dataclass
class ImageMaps:
    inputs: VlmInputs  # of the first prompt: grids and resized size are the same for every prompt
    vision: dict[str, torch.Tensor] | None
    prompts: list[PromptMaps]


class VlmMapExtractor:
    """Image + prompts in; per prompt: generate greedily with the recorders on."""

    def __init__(
        self,
        adapter: QwenVLAdapter,
        *,
        min_pixels: int,
        max_pixels: int,
        max_new_tokens: int,
        per_head: bool,
        query_chunk_bytes: int = DEFAULT_QUERY_CHUNK_BYTES,
    ) -> None:
        self.adapter = adapter
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self.max_new_tokens = max_new_tokens
        self.per_head = per_head
        self.query_chunk_bytes = query_chunk_bytes

    @torch.inference_mode()
    def __call__(
        self,
        image: Image.Image,
        prompts: Sequence[str],
        *,
        with_vision: bool,
        answers: Sequence[Sequence[int]] | None = None,
    ) -> ImageMaps:
        """`answers`: per prompt, answer ids to teacher-force (another model's answer): the model
        still generates its own answer (unrecorded, kept as `own_answer`), then its maps are
        recorded from one forward pass over its prompt sequence + those ids."""
        if answers is not None and len(answers) != len(prompts):
            raise ValueError(f"{len(answers)} forced answers for {len(prompts)} prompts")
        adapter = self.adapter
        first: VlmInputs | None = None
        vision_maps: dict[str, torch.Tensor] | None = None
        results: list[PromptMaps] = []
        for prompt in prompts:
            inputs = adapter.prepare(image, prompt, min_pixels=self.min_pixels, max_pixels=self.max_pixels)
            first = first or inputs
            text = TextImageRecorder(
                adapter.language_attention_modules(),
                inputs.image_tokens[1],
                inputs.image_tokens,
                query_chunk_bytes=self.query_chunk_bytes,
            )
            vision = None
            if with_vision and vision_maps is None:
                vision = VisionRecorder(
                    adapter.vision_attention_modules(),
                    inputs.pixel_values.shape[0],
                    query_chunk_bytes=self.query_chunk_bytes,
                )
            if answers is None:
                with VlmRecorder(text, vision).recording():
                    answer = own = adapter.generate(inputs, self.max_new_tokens, feed_last=True)
            else:
                own = adapter.generate(inputs, self.max_new_tokens)
                answer = list(answers[len(results)])
                with VlmRecorder(text, vision).recording():
                    adapter.forward(inputs, answer)
            ids = inputs.input_ids[0].tolist() + answer
            if vision is not None:
                vision_maps = vision.results(
                    adapter.vision_raster_order(inputs.image_grid_thw), inputs.vision_grid
                )
            arrays = text.results(len(ids), inputs.grid)
            if not self.per_head:
                del arrays["text/heads"]
            own_text = answer_text(adapter, own)
            tokens = self._tokens(inputs, ids)
            results.append(
                PromptMaps(
                    prompt, answer_text(adapter, answer), tokens, arrays, own_text, answers is not None
                )
            )
        if vision_maps is not None and not self.per_head:
            del vision_maps["mean/heads"]
        assert first is not None
        return ImageMaps(first, vision_maps, results)

    def _tokens(self, inputs: VlmInputs, ids: list[int]) -> list[VlmToken]:
        prompt_start, prompt_stop = inputs.prompt_tokens
        answer_start = inputs.length
        tokens = []
        for position in range(inputs.image_tokens[1], len(ids)):
            if position >= answer_start:
                role = "answer"
            elif prompt_start <= position < prompt_stop:
                role = "prompt"
            else:
                role = "template"
            token_id = ids[position]
            tokens.append(VlmToken(token_id, self.adapter.token_text(token_id), role, position))
        return tokens


def answer_text(adapter: QwenVLAdapter, ids: Sequence[int]) -> str:
    """The answer as the token strip shows it (`adapter.token_text`), without the stop token that
    ends it: runs of ids that decode to text are decoded together (a character split over byte
    tokens reads whole), an id that decodes to nothing reads ⟨id⟩ as in the strip, and a chat
    marker reads as its text. So the answer is never blank while its tokens show something."""
    ids = list(ids)
    if ids and ids[-1] in adapter.stop_ids():
        ids.pop()
    parts: list[str] = []
    run: list[int] = []
    for token_id in ids:
        if adapter.tokenizer.decode([token_id]):
            run.append(token_id)
            continue
        if run:
            parts.append(str(adapter.tokenizer.decode(run)))
            run = []
        parts.append(adapter.token_text(token_id))
    if run:
        parts.append(str(adapter.tokenizer.decode(run)))
    return "".join(parts)
