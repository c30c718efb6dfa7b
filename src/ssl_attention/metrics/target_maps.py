"""Which stored array a ViT method's map is read from when scoring (metrics, shift, faithfulness).

Every method has one `<method>/fused` array, except `gradrollout`, which has one per target
(`store/target_layout.py`): an image is scored on its first done target, as a VLM image is on
its first done prompt; without a done target it has no gradrollout map to score.
"""

from __future__ import annotations

from ssl_attention.store.catalog import CatalogReader
from ssl_attention.store.layout import VitAttrs
from ssl_attention.store.target_layout import GRADROLLOUT, target_path


def method_path(catalog: CatalogReader, attrs: VitAttrs, method: str, image_id: str) -> str | None:
    """The fused array of `method` for the image; None when it has none (no target done)."""
    if method != GRADROLLOUT:
        return f"{method}/fused"
    done = catalog.vlm_samples(image_id, attrs.key)
    return target_path(done[0].prompt_index) if done else None
