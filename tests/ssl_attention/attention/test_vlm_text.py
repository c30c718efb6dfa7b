"""A VLM's text → text rows (`attention/vlm_text.py`) against eager `output_attentions` of the
VLM itself: the text rows × text columns of each layer's probability matrix (the model's own
softmax over every key, image included), folded by the independent numpy reference."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ssl_attention.attention.vlm_text import capture_vlm_texts
from tests.ssl_attention.attention.test_vlm import KEYS, eager_attentions, extract, load
from tests.text_reference import reference_layer
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS

KEEP, MAX_KEYS, BLOCK = 0.9, 6, 4


@pytest.mark.parametrize("key", KEYS)
def test_text_rows_equal_eager_attention_on_text_keys(key: str, tiny_vlms: dict[str, Path]) -> None:
    adapter = load(key, tiny_vlms)
    image = Image.fromarray(np.random.default_rng(3).integers(0, 255, (90, 120, 3), np.uint8))
    maps = extract(adapter, image, ["Describe this image."], max_new_tokens=5)
    (text,) = capture_vlm_texts(
        adapter,
        image,
        maps.prompts,
        min_pixels=MIN_PIXELS,
        max_pixels=MAX_PIXELS,
        keep_mass=KEEP,
        max_keys=MAX_KEYS,
        per_head=True,
        overview_block=lambda n: BLOCK,
        query_chunk_bytes=20_000,  # several query chunks per layer
    )
    prompt = maps.prompts[0]
    inputs = adapter.prepare(image, prompt.prompt, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    answer = [t.id for t in prompt.tokens if t.role == "answer"]
    ids = inputs.input_ids[0].tolist() + answer
    start, stop = inputs.image_tokens
    # The text tokens: every position but the image's, with their ids and roles.
    assert text.positions == [p for p in range(len(ids)) if not start <= p < stop]
    assert text.ids == [ids[p] for p in text.positions] and text.n_generated == len(answer) > 0
    assert set(text.roles[: text.positions.index(stop)]) <= {"system", "user"}
    assert text.roles[-len(answer) :] == ["assistant"] * len(answer)
    assert [text.roles[text.positions.index(p)] for p in range(*inputs.prompt_tokens)] == ["user"] * (
        inputs.prompt_tokens[1] - inputs.prompt_tokens[0]
    )

    attentions = eager_attentions(key, tiny_vlms[key], torch.tensor([ids]), adapter, maps)
    at = np.asarray(text.positions)
    after = [text.positions.index(t.position) for t in prompt.tokens]  # rows the image maps also have
    image_mass = prompt.arrays["image_mass"].double().numpy()  # (T, L, H)
    for layer, probs in enumerate(attentions):
        sub = probs[:, at][:, :, at]  # (H, N, N): text rows, text keys, not renormalised
        want = reference_layer(
            sub, np.asarray(text.ids), keep_mass=KEEP, max_keys=MAX_KEYS, block=BLOCK, per_head=True
        )
        got = text.layers[layer]
        np.testing.assert_array_equal(got.counts, want.counts)
        np.testing.assert_array_equal(got.keys, want.keys)
        np.testing.assert_allclose(got.values, want.values, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(got.summary, want.summary, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got.received, want.received, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got.mean, want.mean, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(got.max, want.max, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(got.stats, want.stats, rtol=1e-4, atol=1e-5)
        # kept + residual = 1, and the residual holds the image's share: per head, after the image,
        # residual − (text keys not kept) is the stored image mass; before it, there is none.
        text_mass = sub.sum(axis=-1)  # (H, N)
        residual = got.summary[1:, 0]  # (H, N)
        starts = np.concatenate([[0], np.cumsum(got.counts.astype(np.int64).reshape(-1))])
        kept = np.array([got.values[a:b].sum() for a, b in itertools.pairwise(starts)])
        kept = kept.reshape(got.counts.shape)[1:]
        np.testing.assert_allclose(kept + residual, 1.0, atol=1e-5)
        not_kept = text_mass - kept
        np.testing.assert_allclose((residual - not_kept)[:, after], image_mass[:, layer].T, atol=2e-5)
        before = at < start
        np.testing.assert_allclose((residual - not_kept)[:, before], 0.0, atol=2e-5)
        assert image_mass[:, layer].max() > 0.05  # the image takes a real share the rows must account for
