"""Marking a model's rows done (a part of `CatalogWriter`): a ViT batch's rows with its images'
facts in one transaction, a VLM image with its samples; `runs.images_done` counted once per row
and run."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ssl_attention.store.catalog.records import ImageFacts, VlmSample
from ssl_attention.store.catalog.schema import EntryRow, ImageRow, RunRow, VlmSampleRow, now


class EntryWrites:
    """Rows marked done after their arrays are written (a part of `CatalogWriter`)."""

    _session: sessionmaker[Session]

    def mark_done(
        self, model: str, image_ids: Sequence[str], run_id: int, images: Sequence[ImageFacts] = ()
    ) -> None:
        """Mark rows complete, with what decoding found of their images (`images`), in one
        transaction; called only after their arrays are written. `runs.images_done` counts the rows
        this run had not marked yet: a batch written again (a retried worker) is not counted twice."""
        with self._session.begin() as s:
            if images:  # ORM bulk UPDATE by primary key: one executemany
                s.execute(
                    update(ImageRow),
                    [
                        {
                            "id": f.image_id,
                            "sha256": f.sha256,
                            "width": f.width,
                            "height": f.height,
                            "error": None,
                        }
                        for f in images
                    ],
                )
            fresh = s.execute(
                update(EntryRow)
                .where(EntryRow.model == model, EntryRow.image_id.in_(image_ids))
                .where(or_(EntryRow.done.is_(False), EntryRow.run_id.is_(None), EntryRow.run_id != run_id))
                .values(done=True, run_id=run_id, updated_at=now())
                .execution_options(synchronize_session=False)
            )
            counted = int(getattr(fresh, "rowcount", 0) or 0)
            if counted:
                s.execute(
                    update(RunRow).where(RunRow.id == run_id).values(images_done=RunRow.images_done + counted)
                )

    def mark_vlm_image_done(
        self,
        model: str,
        image_id: str,
        samples: Sequence[VlmSample],
        run_id: int,
        image: ImageFacts | None = None,
    ) -> None:
        """After an image's arrays are written: its samples, its entry and what decoding found of
        it (`image`), in one transaction."""
        with self._session.begin() as s:
            if image is not None:
                s.execute(
                    update(ImageRow)
                    .where(ImageRow.id == image.image_id)
                    .values(sha256=image.sha256, width=image.width, height=image.height, error=None)
                )
            for sample in samples:
                s.merge(
                    VlmSampleRow(
                        image_id=image_id,
                        model=model,
                        prompt_index=sample.prompt_index,
                        prompt=sample.prompt,
                        answer=sample.answer,
                        n_tokens=sample.n_tokens,
                        run_id=run_id,
                    )
                )
            was_done = s.scalar(
                select(EntryRow.done).where(EntryRow.model == model, EntryRow.image_id == image_id)
            )
            s.execute(
                update(EntryRow)
                .where(EntryRow.model == model, EntryRow.image_id == image_id)
                .values(done=True, run_id=run_id, updated_at=now())
            )
            if not was_done:
                s.execute(
                    update(RunRow).where(RunRow.id == run_id).values(images_done=RunRow.images_done + 1)
                )
