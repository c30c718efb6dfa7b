"""A VLM's `gradrollout` maps as the API sees them: one map per prompt, explaining one answer
token (the group's `--answer-token`); the request's span is that token (see
`ssl_attention.store.vlm_relevance`). Pure checks raise `InvalidParameter` with what is allowed."""

from __future__ import annotations

from app.backend.services.errors import InvalidParameter, Unavailable
from app.backend.services.store import AttentionStore
from app.backend.services.targets import Target, TokenSpan
from ssl_attention.store.vlm_relevance import ExplainedToken, gradrollout_path


def explained_token(store: AttentionStore, target: Target, prompt: int) -> ExplainedToken:
    """What prompt `prompt`'s gradrollout map explains (or the note why it has none)."""
    path = gradrollout_path(target.row, prompt)
    try:
        return ExplainedToken.from_attrs(store.group_attrs(target.model, path, target.row, target.sha256))
    except (KeyError, TypeError, ValueError) as error:
        raise Unavailable(
            f"the attention store holds unreadable attrs for {target.model.attrs.key}/{path} "
            f"({type(error).__name__})"
        ) from None


def explained_span(store: AttentionStore, target: Target, prompt: int, token: str | None) -> TokenSpan:
    """The span of a `method=gradrollout` request: the explained token; `token`, when given, must
    name that token (the map is of one token only)."""
    explained = explained_token(store, target, prompt)
    if explained.note is not None:
        raise InvalidParameter(
            "prompt",
            f"prompt {prompt} of image {target.image_id!r} has no gradrollout map with "
            f"{target.model.attrs.key}: {explained.note}",
            [],
        )
    if token is not None and token.strip() != str(explained.token):
        raise InvalidParameter(
            "token",
            f"the gradrollout map of prompt {prompt} explains text token {explained.token} "
            f"({explained.text!r}, answer token {explained.index}) only: give token={explained.token} or omit it",
            [explained.token],
        )
    return TokenSpan(prompt, explained.token, explained.token)
