"""`precompute --texts FILE.jsonl`: one text a line, read and checked.

    {"id": "math-1", "category": "math", "messages": [{"role": "user", "content": "..."}, ...]}
    {"id": "essay", "text": "..."}

A bad line (not JSON, not an object, a missing or unusable id, a duplicate id, neither or both of
`messages` and `text`, an unknown role, an empty text or message list) is reported with its line
number and skipped; the others run. A text longer than a model's context is reported when that
model reads it (`precompute/texts.py`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssl_attention.store.text_layout import TEXT_ID, TEXT_ID_RULE

ROLES = ("system", "user", "assistant", "tool")
MAX_CATEGORY = 64


@dataclass(frozen=True)
class TextInput:
    line: int
    text_id: str
    category: str
    messages: tuple[dict[str, Any], ...] | None  # a chat, or None for a plain text
    text: str | None
    digest: str  # sha256 of the line's content: a changed text is written again

    @property
    def content(self) -> str:
        """What the catalog searches: the text, or the chat's contents one per line."""
        if self.text is not None:
            return self.text
        return "\n".join(str(m.get("content") or "") for m in self.messages or ())


@dataclass(frozen=True)
class BadLine:
    line: int
    why: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.why}"


def _message_problem(index: int, message: Any) -> str | None:
    if not isinstance(message, dict):
        return f"message {index} is not an object"
    role = message.get("role")
    if role not in ROLES:
        return f"message {index} has unknown role {json.dumps(role)}; roles are {', '.join(ROLES)}"
    content = message.get("content")
    calls = message.get("tool_calls")
    if calls is not None and (role != "assistant" or not isinstance(calls, list) or not calls):
        return f"message {index}: tool_calls is a non-empty list, on an assistant message only"
    if content is None and calls is None:
        return f"message {index} ({role}) has no content"
    if content is not None and not isinstance(content, str):
        return f"message {index} ({role}): content must be a string"
    return None


def _problem(data: Any, seen: set[str]) -> str | None:
    if not isinstance(data, dict):
        return "not a JSON object"
    text_id = data.get("id")
    if not isinstance(text_id, str) or not TEXT_ID.match(text_id):
        return f"id {json.dumps(text_id)} is not usable: an id is {TEXT_ID_RULE}"
    if text_id in seen:
        return f"duplicate id '{text_id}' (its first line is kept)"
    category = data.get("category", "")
    if not isinstance(category, str) or len(category) > MAX_CATEGORY:
        return f"category must be a string of at most {MAX_CATEGORY} characters"
    has_messages, has_text = "messages" in data, "text" in data
    if has_messages == has_text:
        return 'give either "messages" (a chat) or "text" (a plain text)'
    if has_text:
        if not isinstance(data["text"], str) or not data["text"].strip():
            return "empty text"
        return None
    messages = data["messages"]
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty list"
    for index, message in enumerate(messages):
        problem = _message_problem(index, message)
        if problem:
            return problem
    if not any(str(m.get("content") or "").strip() or m.get("tool_calls") for m in messages):
        return "empty text: every message is empty"
    return None


def read_texts(path: Path) -> tuple[list[TextInput], list[BadLine]]:
    """The good lines of a texts file, and the bad ones with their line numbers (blank lines are skipped)."""
    good: list[TextInput] = []
    bad: list[BadLine] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as error:
                bad.append(BadLine(number, f"not JSON ({error.msg} at column {error.colno})"))
                continue
            problem = _problem(data, seen)
            if problem:
                bad.append(BadLine(number, problem))
                continue
            seen.add(data["id"])
            canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
            good.append(
                TextInput(
                    line=number,
                    text_id=data["id"],
                    category=data.get("category", ""),
                    messages=tuple(data["messages"]) if "messages" in data else None,
                    text=data.get("text"),
                    digest=hashlib.sha256(canonical.encode()).hexdigest(),
                )
            )
    return good, bad
