"""Which prompt and tokens a VLM request means: defaults, parsing, and errors that say what is allowed."""

from __future__ import annotations

import pytest

from app.backend.services.errors import InvalidParameter
from app.backend.services.vlm import TokenSpan, default_tokens, resolve_prompt, resolve_tokens
from ssl_attention.store.catalog import VlmSample
from ssl_attention.store.layout import VlmToken

ROLES = ("template", "prompt", "prompt", "template", "answer", "answer", "answer", "template")
TOKENS = tuple(VlmToken(i, f"t{i}", role, 100 + i) for i, role in enumerate(ROLES))
DONE = [
    VlmSample("cat", "qwen", 0, "Describe.", "A cat.", 8),
    VlmSample("cat", "qwen", 2, "Where?", "Left.", 5),
]


def test_default_tokens_span_the_answer() -> None:
    assert default_tokens(TOKENS) == (4, 6)
    no_answer = tuple(VlmToken(i, "x", "prompt", i) for i in range(3))
    assert default_tokens(no_answer) == (0, 2)
    assert resolve_tokens(None, TOKENS) == (4, 6)


@pytest.mark.parametrize(
    ("value", "expected"), [("0", (0, 0)), ("7", (7, 7)), ("2-5", (2, 5)), ("3-3", (3, 3)), ("007", (7, 7))]
)
def test_tokens_parse(value: str, expected: tuple[int, int]) -> None:
    assert resolve_tokens(value, TOKENS) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("8", "out of range"),
        ("2-8", "out of range"),
        ("5-2", "reversed"),
        ("-1", "neither"),
        ("a-", "neither"),
        ("1-", "neither"),
        ("1-2-3", "neither"),
        ("", "neither"),
        ("1.0", "neither"),
        ("١", "neither"),  # an Arabic-Indic digit is not a token index
        ("9" * 12, "neither"),
    ],
)
def test_bad_tokens_say_the_range(value: str, words: str) -> None:
    with pytest.raises(InvalidParameter, match=words) as error:
        resolve_tokens(value, TOKENS)
    assert error.value.parameter == "token" and error.value.allowed == {"min": 0, "max": 7}


def test_a_prompt_without_tokens_has_no_text_maps() -> None:
    with pytest.raises(InvalidParameter) as error:
        resolve_tokens(None, ())
    assert error.value.parameter == "token" and error.value.allowed == []


def test_prompt_defaults_to_the_first_done() -> None:
    assert resolve_prompt(DONE, "cat", "qwen", None) == 0
    assert resolve_prompt(DONE[1:], "cat", "qwen", None) == 2
    assert resolve_prompt(DONE, "cat", "qwen", 2) == 2


def test_a_prompt_not_done_lists_those_done() -> None:
    with pytest.raises(InvalidParameter, match=r"0 \('Describe\.'\)") as error:
        resolve_prompt(DONE, "cat", "qwen", 1)
    assert error.value.parameter == "prompt" and error.value.allowed == [0, 2]
    with pytest.raises(InvalidParameter, match="no prompt is done") as error:
        resolve_prompt([], "cat", "qwen", None)
    assert error.value.allowed == []


def test_span_labels() -> None:
    assert TokenSpan(0, 3, 3).label == "3" and TokenSpan(1, 2, 9).label == "2-9"
    assert list(TokenSpan(0, 2, 4).tokens) == [2, 3, 4]
