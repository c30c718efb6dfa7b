"""The catalog's texts table: which texts of which text language models are written.

`TextReads` is part of `CatalogReader`, `TextWrites` of `CatalogWriter` (the pattern of
`catalog/shift.py`): per-call sessions, plain records (`TextRecord`) out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from ssl_attention.store.catalog.schema import TextRow

PREVIEW_CHARS = 200


@dataclasses.dataclass(frozen=True)
class TextRecord:
    """One text × model whose attention is in the store."""

    model: str
    text_id: str
    category: str
    n_tokens: int
    n_generated: int
    preview: str
    digest: str
    run_id: int | None
    created_at: dt.datetime


_COLUMNS = (
    TextRow.model,
    TextRow.text_id,
    TextRow.category,
    TextRow.n_tokens,
    TextRow.n_generated,
    TextRow.preview,
    TextRow.digest,
    TextRow.run_id,
    TextRow.created_at,
)


class TextReads:
    """Reading the texts table (a part of `CatalogReader`)."""

    _session: sessionmaker[Session]

    def list_texts(
        self,
        model: str | None = None,
        category: str | None = None,
        q: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[TextRecord], int]:
        """Texts by category, id and model, optionally of one model or category, whose id or
        content contains `q` (case-insensitive); one page of them, and how many match in all."""
        where = []
        if model is not None:
            where.append(TextRow.model == model)
        if category is not None:
            where.append(TextRow.category == category)
        if q:
            needle = q.lower()
            where.append(
                func.lower(TextRow.text_id).contains(needle, autoescape=True)
                | TextRow.search.contains(needle, autoescape=True)
            )
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(TextRow).where(*where)) or 0
            stmt = (
                select(*_COLUMNS)
                .where(*where)
                .order_by(TextRow.category, TextRow.text_id, TextRow.model)
                .limit(limit)
                .offset(offset)
            )
            return [TextRecord(*row) for row in s.execute(stmt)], int(total)

    def text_record(self, model: str, text_id: str) -> TextRecord | None:
        with self._session() as s:
            found = s.execute(
                select(*_COLUMNS).where(TextRow.model == model, TextRow.text_id == text_id)
            ).first()
            return None if found is None else TextRecord(*found)

    def text_digests(self, model: str) -> dict[str, str]:
        """Every text written for `model`, with the digest of the content it was written from."""
        with self._session() as s:
            found = s.execute(select(TextRow.text_id, TextRow.digest).where(TextRow.model == model))
            return {text_id: digest for text_id, digest in found}

    def categories(self) -> list[str]:
        """Every category of a written text, sorted."""
        with self._session() as s:
            found = s.scalars(select(TextRow.category).distinct().order_by(TextRow.category))
            return list(found)


class TextWrites:
    """Writing the texts table (a part of `CatalogWriter`); every method is one transaction."""

    _session: sessionmaker[Session]

    def add_text(
        self,
        model: str,
        text_id: str,
        *,
        category: str,
        n_tokens: int,
        n_generated: int,
        content: str,
        digest: str,
        run_id: int | None,
    ) -> None:
        """Record a written text (replacing the row of an earlier writing)."""
        with self._session.begin() as s:
            s.execute(delete(TextRow).where(TextRow.model == model, TextRow.text_id == text_id))
            s.add(
                TextRow(
                    model=model,
                    text_id=text_id,
                    category=category,
                    n_tokens=n_tokens,
                    n_generated=n_generated,
                    preview=content[:PREVIEW_CHARS],
                    search=content.lower(),
                    digest=digest,
                    run_id=run_id,
                )
            )

    def drop_texts(self, model: str, text_ids: list[str] | None = None) -> None:
        """Forget `text_ids` of `model` (all of them when None: the group is rebuilt)."""
        with self._session.begin() as s:
            stmt = delete(TextRow).where(TextRow.model == model)
            if text_ids is not None:
                stmt = stmt.where(TextRow.text_id.in_(text_ids))
            s.execute(stmt)
