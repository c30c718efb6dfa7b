"""A text or a chat as the tokens a causal LM reads, each with its text, role and message.

A chat is rendered with the tokenizer's chat template (tool calls and `tool` messages as the
template writes them). A token belongs to the message whose rendered span its first character
falls in: spans end where rendering the chat up to that message ends (or, for templates whose
partial renderings are not prefixes of the whole, after that message's content). Tokens after the
last message (a generation prompt) belong to the answer to come: role `assistant`, message index
len(messages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from transformers.tokenization_utils_base import PreTrainedTokenizerBase


@dataclass
class TokenizedText:
    ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, ids: Sequence[int], texts: Sequence[str], role: str, message: int) -> None:
        self.ids += list(ids)
        self.texts += list(texts)
        self.roles += [role] * len(ids)
        self.messages += [message] * len(ids)


def _render(tokenizer: PreTrainedTokenizerBase, messages: Sequence[dict[str, Any]], prompt: bool) -> str:
    rendered = tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=prompt)
    assert isinstance(rendered, str)
    return rendered


def _pieces(
    tokenizer: PreTrainedTokenizerBase, text: str, special: bool
) -> tuple[list[int], list[tuple[int, int]]]:
    encoded = tokenizer(text, add_special_tokens=special, return_offsets_mapping=True)
    return list(encoded["input_ids"]), [tuple(o) for o in encoded["offset_mapping"]]


def _texts(
    tokenizer: PreTrainedTokenizerBase, text: str, ids: list[int], offsets: list[tuple[int, int]]
) -> list[str]:
    return [
        text[s:e] if e > s else str(tokenizer.decode([i])) for i, (s, e) in zip(ids, offsets, strict=True)
    ]


def tokenize_chat(
    tokenizer: PreTrainedTokenizerBase, messages: Sequence[dict[str, Any]], *, add_generation_prompt: bool
) -> TokenizedText:
    rendered = _render(tokenizer, messages, add_generation_prompt)
    ends: list[int] = []
    previous = 0
    for i in range(len(messages)):
        partial = _render(tokenizer, messages[: i + 1], False)
        if rendered.startswith(partial) and len(partial) >= previous:
            end = len(partial)
        else:
            content = str(messages[i].get("content") or "")
            found = rendered.find(content, previous) if content else -1
            end = found + len(content) if found >= 0 else previous
        ends.append(end)
        previous = end
    ids, offsets = _pieces(tokenizer, rendered, special=False)
    out = TokenizedText()
    for token, piece, (start, _) in zip(ids, _texts(tokenizer, rendered, ids, offsets), offsets, strict=True):
        message = next((i for i, end in enumerate(ends) if start < end), len(messages))
        role = str(messages[message]["role"]) if message < len(messages) else "assistant"
        out.extend([token], [piece], role, message)
    return out


def tokenize_plain(tokenizer: PreTrainedTokenizerBase, text: str) -> TokenizedText:
    """A plain text (the tokenizer's special tokens added, e.g. a BOS): role `text`, message −1."""
    ids, offsets = _pieces(tokenizer, text, special=True)
    out = TokenizedText()
    out.extend(ids, _texts(tokenizer, text, ids, offsets), "text", -1)
    return out


def decoded(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int]) -> list[str]:
    """Each generated token's text on its own."""
    return [str(tokenizer.decode([i])) for i in ids]
