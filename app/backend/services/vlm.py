"""VLM requests: which prompt and which text tokens a `method=text` request means, and the
per-image attrs of a VLM sample (grids, tokens) as the store holds them.

The store keeps one subgroup per image (`samples/<row>`) and one per prompt
(`samples/<row>/prompts/<k>`), see `ssl_attention.store.layout`. What is pure here raises
`InvalidParameter` with what is allowed; what reads goes through `AttentionStore`'s caches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.backend.services.errors import InvalidParameter, Unavailable
from app.backend.services.store import AttentionStore, StoredModel
from ssl_attention.store.catalog import VlmSample
from ssl_attention.store.layout import VlmAttrs, VlmPromptAttrs, VlmSampleAttrs, VlmToken

TOKEN_PATTERN = re.compile(r"([0-9]{1,9})(?:-([0-9]{1,9}))?")
MAX_ECHO = 80  # characters of a client-supplied value quoted back in an error message


def _quoted(value: str) -> str:
    return repr(value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "…")


@dataclass(frozen=True)
class TokenSpan:
    """A resolved `method=text` selection: a prompt and an inclusive range of its text tokens,
    whose maps are averaged (one token: its stored map as it is)."""

    prompt: int
    first: int
    last: int

    @property
    def label(self) -> str:
        """`t` for one token, `a-b` for a range: what the `token` parameter would say."""
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    @property
    def tokens(self) -> range:
        return range(self.first, self.last + 1)


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


def sample_attrs(store: AttentionStore, model: StoredModel, row: int, sha256: str) -> VlmSampleAttrs:
    """The attrs of `samples/<row>`: the image's merged grid, vision grid and resized size."""
    path = VlmAttrs.sample_path(row)
    try:
        return VlmSampleAttrs.from_attrs(store.group_attrs(model, path, row, sha256))
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise _malformed(model, path, error) from None


def prompt_attrs(
    store: AttentionStore, model: StoredModel, row: int, sha256: str, prompt: int
) -> VlmPromptAttrs:
    """The attrs of `samples/<row>/prompts/<prompt>`: the prompt, the answer and the text tokens."""
    path = VlmAttrs.prompt_path(row, prompt)
    try:
        return VlmPromptAttrs.from_attrs(store.group_attrs(model, path, row, sha256))
    except (KeyError, TypeError, ValueError) as error:
        raise _malformed(model, path, error) from None
