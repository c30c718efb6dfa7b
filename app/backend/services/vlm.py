"""Vision-language models as the API sees them: the `vlm` row of `ssl_attention.kinds.KINDS`.

Which prompt and which text tokens a `method=text` request means, the per-image attrs of a VLM
sample (grids, tokens) as the store holds them, and where each map is: the store keeps one
subgroup per image (`samples/<row>`: the vision tower's arrays) and one per prompt
(`samples/<row>/prompts/<k>`: one chunk per text token), see `ssl_attention.store.layout`.
What is pure here raises `InvalidParameter` with what is allowed; what reads goes through
`AttentionStore`'s caches. Only this module (and `vit.py` for its kind) knows which attrs
class its groups have.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from app.backend.services.errors import InvalidParameter, Unavailable
from app.backend.services.store import AttentionStore, StoredModel
from app.backend.services.targets import Target, TokenSpan
from ssl_attention.store.catalog import VlmSample
from ssl_attention.store.layout import (
    IMAGE_MASS,
    VLM_GRADIENT_METHODS,
    GroupAttrs,
    VlmAttrs,
    VlmPromptAttrs,
    VlmSampleAttrs,
    VlmToken,
)

TOKEN_PATTERN = re.compile(r"([0-9]{1,9})(?:-([0-9]{1,9}))?")
MAX_ECHO = 80  # characters of a client-supplied value quoted back in an error message


def _quoted(value: str) -> str:
    return repr(value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "…")


def resolve_prompt(done: Sequence[VlmSample], image_id: str, model: str, prompt: int | None) -> int:
    """The prompt index to read: `prompt`, or the first one done for the image (normally 0)."""
    indices = [sample.prompt_index for sample in done]
    if not indices:
        raise InvalidParameter(
            "prompt",
            f"no prompt is done for image {_quoted(image_id)} with {model} yet; "
            f"run `precompute --models {model}` (a running one will get to it)",
            [],
        )
    if prompt is None:
        return indices[0]
    if prompt not in indices:
        listed = ", ".join(f"{s.prompt_index} ({_quoted(s.prompt)})" for s in done)
        raise InvalidParameter(
            "prompt",
            f"prompt {prompt} is not done for image {_quoted(image_id)} with {model}; done prompts: {listed}",
            indices,
        )
    return prompt


def default_tokens(tokens: Sequence[VlmToken]) -> tuple[int, int]:
    """From the first to the last answer token; every token when there is no answer."""
    answers = [index for index, token in enumerate(tokens) if token.role == "answer"]
    if answers:
        return answers[0], answers[-1]
    return 0, len(tokens) - 1


def resolve_tokens(value: str | None, tokens: Sequence[VlmToken]) -> tuple[int, int]:
    """`t` or an inclusive `a-b` (indices into `tokens`), or the default; raises with the range allowed."""
    n_tokens = len(tokens)
    if n_tokens == 0:
        raise InvalidParameter("token", "this prompt has no stored text tokens, so no text maps", [])
    allowed = {"min": 0, "max": n_tokens - 1}
    if value is None:
        return default_tokens(tokens)
    shown = _quoted(value)
    found = TOKEN_PATTERN.fullmatch(value.strip())
    if found is None:
        raise InvalidParameter(
            "token",
            f"token {shown} is neither a token index `t` nor an inclusive range `a-b`: "
            f"allowed 0..{n_tokens - 1}",
            allowed,
        )
    first = int(found.group(1))
    last = first if found.group(2) is None else int(found.group(2))
    if first > last:
        raise InvalidParameter(
            "token", f"token range {first}-{last} is reversed: write {last}-{first}", allowed
        )
    if last >= n_tokens:
        raise InvalidParameter(
            "token",
            f"token {last} is out of range: this prompt has {n_tokens} text tokens, allowed 0..{n_tokens - 1}",
            allowed,
        )
    return first, last


def _malformed(model: StoredModel, path: str, error: Exception) -> Unavailable:
    return Unavailable(
        f"the attention store holds unreadable attrs for {model.attrs.key}/{path} ({type(error).__name__})"
    )


def sample_attrs(store: AttentionStore, target: Target) -> VlmSampleAttrs:
    """The attrs of `samples/<row>`: the image's merged grid, vision grid and resized size."""
    path = VlmAttrs.sample_path(target.row)
    try:
        return VlmSampleAttrs.from_attrs(store.group_attrs(target.model, path, target.row, target.sha256))
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise _malformed(target.model, path, error) from None


def prompt_attrs(store: AttentionStore, target: Target, prompt: int) -> VlmPromptAttrs:
    """The attrs of `samples/<row>/prompts/<prompt>`: the prompt, the answer and the text tokens."""
    path = VlmAttrs.prompt_path(target.row, prompt)
    try:
        return VlmPromptAttrs.from_attrs(store.group_attrs(target.model, path, target.row, target.sha256))
    except (KeyError, TypeError, ValueError) as error:
        raise _malformed(target.model, path, error) from None


def read_image_mass(store: AttentionStore, target: Target, prompt: int, head: int | None) -> np.ndarray:
    """(T, L) float32: each text token's share of attention on the image per layer, for one
    head or the mean over heads."""
    path = f"{VlmAttrs.prompt_path(target.row, prompt)}/{IMAGE_MASS}"
    mass = store.read_array(target.model, path, target.row, target.sha256)
    if head is not None:
        return mass[:, :, head]
    fused: np.ndarray = mass.astype(np.float32).mean(axis=2)
    return fused


def vlm_attrs(attrs: GroupAttrs) -> VlmAttrs:
    """The attrs of a group of this kind (the kinds table only hands this module its own groups)."""
    if not isinstance(attrs, VlmAttrs):
        raise TypeError(f"{attrs.key} is not a VLM group")
    return attrs


class VlmApi:
    """What differs for a vision-language model (see `kinds.KindApi`)."""

    name = "vlm"
    noun = "a VLM"
    # per text token: `prompt` and `token`, and /tokens (gradrollout: the one token it explains)
    span_methods: tuple[str, ...] = ("text", *VLM_GRADIENT_METHODS)
    target_methods: tuple[str, ...] = ()

    def info(self, attrs: GroupAttrs) -> dict[str, Any]:
        """Grids differ from image to image: every map response and /tokens carry theirs."""
        vlm = vlm_attrs(attrs)
        return dict(
            kind=self.name,
            image_size=None,
            grid=None,
            prompts=list(vlm.prompts),
            merge=vlm.merge,
            min_pixels=vlm.min_pixels,
            max_pixels=vlm.max_pixels,
            max_new_tokens=vlm.max_new_tokens,
            has_cls=False,
            has_pool=False,
            registers=0,
            prefix_tokens=[],
        )

    def head_scope(self, attrs: GroupAttrs, method: str) -> str:
        return f"{attrs.key}/{method}"  # the language model's heads (text) or the vision tower's

    def read_layer(
        self,
        store: AttentionStore,
        target: Target,
        method: str,
        layer: int,
        array_path: str,
        span: TokenSpan | None,
    ) -> np.ndarray:
        """The vision tower's arrays: one chunk per image; `method=text`: the mean over `span`'s tokens."""
        model, row, sha256 = target.model, target.row, target.sha256
        if method not in self.span_methods:
            return store.read_array(model, f"{VlmAttrs.sample_path(row)}/{array_path}", row, sha256)[layer]
        if span is None:
            raise ValueError(f"method={method} needs a TokenSpan")
        path = f"{VlmAttrs.prompt_path(row, span.prompt)}/{array_path}"
        if method in VLM_GRADIENT_METHODS:  # one map per prompt: (1, gh, gw)
            return store.read_array(model, path, row, sha256)[layer]
        layers = [store.read_array(model, path, row, sha256, token)[layer] for token in span.tokens]
        if len(layers) == 1:
            return layers[0]
        mean: np.ndarray = np.stack(layers).astype(np.float32).mean(axis=0)
        return mean.astype(np.float16)

    def prefix(self, attrs: GroupAttrs) -> NoReturn:
        raise InvalidParameter(
            "model", f"{attrs.key} is a VLM: it has no prefix tokens, so no prefix shares", []
        )

    def read_prefix(self, store: AttentionStore, target: Target) -> NoReturn:
        self.prefix(target.model.attrs)


VLM = VlmApi()
