"""VLM `gradrollout` in precompute: `--answer-token K`, and the map of each prompt's answer token K
(`ssl_attention.attention.vlm_relevance`), computed after the prompt's recorded pass."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import torch
from PIL import Image

from precompute.options import RunError, RunOptions
from ssl_attention.attention.vlm import ImageMaps, VlmMapExtractor
from ssl_attention.attention.vlm_relevance import AnswerToken, answer_relevance, choose_answer_token
from ssl_attention.store.arrays import AttentionStoreWriter
from ssl_attention.store.layout import VlmAttrs
from ssl_attention.store.vlm_relevance import GRADROLLOUT, ExplainedToken, write_gradrollout

GRADROLLOUT_ARRAY = f"{GRADROLLOUT}/fused"


def add_vlm_gradient_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("VLM gradient-weighted relevancy (method gradrollout)")
    group.add_argument(
        "--answer-token",
        type=int,
        nargs="?",
        const=0,
        default=None,
        metavar="K",
        help="store method gradrollout for the VLMs: the relevancy of the image tokens to answer token K "
        "(0 = the first, the default with no K; negative from the end; the stop token is not counted). "
        "An answer without token K gets a note instead of that map",
    )


def vlm_gradient_options(args: argparse.Namespace) -> dict[str, Any]:
    """The RunOptions fields of the flag above."""
    return {"answer_token": args.answer_token}


def check_answer_token(options: RunOptions) -> None:
    """Exit 2 when no answer can have token K (no generation, or K beyond --max-new-tokens)."""
    answer_token = options.answer_token
    if answer_token is None:
        return
    longest = options.max_new_tokens
    if longest == 0:
        raise RunError(
            "--answer-token needs an answer to explain, but --max-new-tokens 0 generates none; "
            "give --max-new-tokens 1 or more"
        )
    if not -longest <= answer_token < longest:
        raise RunError(
            f"--answer-token {answer_token} can never be in range: answers have at most --max-new-tokens "
            f"{longest} tokens; allowed {-longest}..{longest - 1}"
        )


def explain_answers(
    extractor: VlmMapExtractor, image: Image.Image, maps: ImageMaps, answer_token: int
) -> None:
    """Per prompt of `maps`: `gradrollout/fused` (gh, gw) added to its arrays when its answer has
    token `answer_token`, and `explains` (an `ExplainedToken`'s attrs) either way."""
    adapter = extractor.adapter
    for prompt in maps.prompts:
        inputs = adapter.prepare(
            image, prompt.prompt, min_pixels=extractor.min_pixels, max_pixels=extractor.max_pixels
        )
        answer = [t.id for t in prompt.tokens if t.role == "answer"]
        chosen = choose_answer_token(adapter, inputs, answer, answer_token)
        if not isinstance(chosen, AnswerToken):
            prompt.explains = ExplainedToken(answer_token, note=chosen).to_attrs()
            continue
        values = answer_relevance(
            adapter, inputs, answer, chosen, query_chunk_bytes=extractor.query_chunk_bytes
        )
        stored = next(i for i, t in enumerate(prompt.tokens) if t.position == chosen.position)
        prompt.arrays[GRADROLLOUT_ARRAY] = values.to(torch.float32)
        explained = ExplainedToken(answer_token, chosen.index, stored, prompt.tokens[stored].text)
        prompt.explains = explained.to_attrs()


def write_explained(
    store: AttentionStoreWriter,
    attrs: VlmAttrs,
    row: int,
    prompt_index: int,
    explains: dict[str, Any] | None,
    arrays: dict[str, np.ndarray],
) -> None:
    """The prompt's `gradrollout` group, when the group has the method (after `write_vlm_prompt`)."""
    if attrs.answer_token is None:
        return
    if explains is None:
        raise RuntimeError("gradrollout was asked for but not computed")
    write_gradrollout(
        store, attrs, row, prompt_index, ExplainedToken.from_attrs(explains), arrays.get(GRADROLLOUT_ARRAY)
    )
