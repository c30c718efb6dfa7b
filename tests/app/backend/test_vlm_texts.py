"""From `precompute` over a tiny VLM to `/texts`: every image × prompt's prompt and answer tokens
are a text of the VLM (category `vlm`), stored as a fresh capture gives them (float16 values),
served as stored, named by the prompt's `/tokens` (`text_id`), and a rerun writes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.options import RunError
from precompute.runner import RunOptions, run
from precompute.vlm_texts import vlm_text_id
from ssl_attention.attention.vlm import VlmMapExtractor
from ssl_attention.attention.vlm_text import capture_vlm_texts
from ssl_attention.models.registry import resolve_model
from ssl_attention.store.text_layout import SUMMARY_BITS, TEXT_ID, overview_block
from ssl_attention.store.text_writer import round_mantissa
from ssl_attention.store.texts import TextAttentionReader
from tests.conftest import write_gallery
from tests.tiny_vlms import MAX_PIXELS, MIN_PIXELS

KEY = "qwen2_5_vl"
PROMPTS = ("Describe this image.", "What is left?")
IMAGES = ("img_0", "sub__nested_1")


def options(root: Path, tiny_vlms: dict[str, Path], **changes: object) -> RunOptions:
    values: dict[str, object] = dict(
        models=[KEY],
        images=root / "images",
        store=str(root / "store.zarr"),
        db=f"sqlite:///{root / 'catalog.db'}",
        checkpoints={KEY: str(tiny_vlms[KEY])},
        per_head=True,
        device="cpu",
        prompts=PROMPTS,
        max_new_tokens=4,
        min_pixels=MIN_PIXELS,
        max_pixels=MAX_PIXELS,
        max_keys=8,
    )
    values.update(changes)
    return RunOptions(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tiny_vlms: dict[str, Path]) -> tuple[TestClient, Path]:
    root = tmp_path_factory.mktemp("vlm_texts")
    write_gallery(root / "images", n_good=2)
    run(options(root, tiny_vlms))
    settings = ApiSettings(
        images=root / "images",
        store=str(root / "store.zarr"),
        db=f"sqlite:///{root / 'catalog.db'}",
        frontend_dist=root / "none",
    )
    with TestClient(create_app(settings)) as client:
        yield client, root


def test_text_ids_are_valid_and_distinct() -> None:
    assert vlm_text_id("img_0", 1) == "img_0.p1"
    odd = [vlm_text_id(i, 0) for i in ("a b", "a_b", "é/x", "." * 300, "x" * 200)]
    assert all(TEXT_ID.match(t) for t in odd) and len(set(odd)) == len(odd)
    assert odd[1] == "a_b.p0" and odd[0] != odd[1]


def test_every_prompt_is_a_listed_text_named_by_its_tokens(served: tuple[TestClient, Path]) -> None:
    client, _root = served
    page = client.get("/texts", params={"model": KEY, "category": "vlm"}).json()
    assert page["total"] == len(IMAGES) * len(PROMPTS)
    assert {t["text_id"] for t in page["texts"]} == {vlm_text_id(i, p) for i in IMAGES for p in (0, 1)}
    assert "vlm" in page["categories"]
    for image_id in IMAGES:
        for prompt in (0, 1):
            tokens = client.get(
                f"/attention/{image_id}/tokens", params={"model": KEY, "prompt": prompt}
            ).json()
            assert tokens["text_id"] == vlm_text_id(image_id, prompt)
            detail = client.get(f"/texts/{tokens['text_id']}", params={"model": KEY}).json()
            assert detail["category"] == "vlm" and detail["per_head"] and detail["max_keys"] == 8
            # The text ends with the tokens /tokens lists (those after the image), in order.
            after = [t["text"] for t in tokens["tokens"]]
            assert [t["text"] for t in detail["tokens"]][-len(after) :] == after
            assert detail["n_generated"] == sum(t["role"] == "answer" for t in tokens["tokens"])
            roles = [t["role"] for t in detail["tokens"]]
            assert roles[0] == "system" and roles[-1] == "assistant" and "user" in roles


def test_stored_rows_are_a_fresh_capture_and_served_as_stored(
    served: tuple[TestClient, Path], tiny_vlms: dict[str, Path]
) -> None:
    client, root = served
    adapter = resolve_model(KEY, str(tiny_vlms[KEY]), "pretrained").load_vlm()
    extractor = VlmMapExtractor(
        adapter, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS, max_new_tokens=4, per_head=True
    )
    image = Image.open(root / "images" / "sub" / "nested_1.png")
    maps = extractor(image, list(PROMPTS), with_vision=False)
    texts = capture_vlm_texts(
        adapter, image, maps.prompts, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS, keep_mass=0.99,
        max_keys=8, per_head=True, overview_block=overview_block,
    )  # fmt: skip
    reader = TextAttentionReader(str(root / "store.zarr"))
    for prompt, text in enumerate(texts):
        text_id = vlm_text_id("sub__nested_1", prompt)
        assert [t.id for t in reader.tokens(KEY, text_id)] == text.ids
        for layer, rows in enumerate(text.layers):
            starts = np.concatenate([[0], np.cumsum(rows.counts.astype(np.int64).reshape(-1))])
            for slot, head in ((0, None), (3, 2)):
                for query in (0, len(text.ids) // 2, len(text.ids) - 1):
                    at = slot * len(text.ids) + query
                    keys = rows.keys[starts[at] : starts[at + 1]]
                    values = rows.values[starts[at] : starts[at + 1]].astype(np.float16)
                    got = reader.row(KEY, text_id, layer, head, query)
                    np.testing.assert_array_equal(got.keys, keys)
                    np.testing.assert_array_equal(got.values, values.astype(np.float32))
                    # the writer keeps SUMMARY_BITS[0] mantissa bits of the residual (data-contract.md)
                    stored = round_mantissa(rows.summary[slot, 0, query : query + 1], SUMMARY_BITS[0])
                    assert got.residual == pytest.approx(float(stored[0]), abs=1e-7)
                    params = {"model": KEY, "layer": layer, "query": query}
                    body = client.get(
                        f"/texts/{text_id}/row", params=params if head is None else {**params, "head": head}
                    ).json()
                    assert body["keys"] == keys.tolist()
                    np.testing.assert_array_equal(np.asarray(body["values"], np.float32), got.values)
                    assert body["residual"] == pytest.approx(got.residual) and body["sink"] == pytest.approx(
                        got.sink
                    )
        stats = client.get(f"/texts/{text_id}/stats", params={"model": KEY}).json()["stats"]
        want = np.stack([rows.stats for rows in text.layers])  # (L, 1 + H, 5)
        got_stats = np.asarray(
            [[s["entropy"], s["sink"], s["previous_token"], s["induction"], s["distance"]] for s in stats]
        )
        np.testing.assert_allclose(got_stats, want.reshape(-1, 5), rtol=1e-5, atol=1e-6)
        assert client.get(f"/texts/{text_id}/matrix", params={"model": KEY, "layer": 0}).status_code == 200


def test_rerun_writes_nothing_and_other_keep_settings_need_force(
    served: tuple[TestClient, Path], tiny_vlms: dict[str, Path]
) -> None:
    _client, root = served
    reader = TextAttentionReader(str(root / "store.zarr"))
    before = {
        t: dict(reader.root[f"{KEY}/texts/{t}"].attrs)["written"] for t in ("img_0.p0", "sub__nested_1.p1")
    }
    report = run(options(root, tiny_vlms))
    assert report.models[0].done == 0
    after = TextAttentionReader(str(root / "store.zarr"))
    assert {t: dict(after.root[f"{KEY}/texts/{t}"].attrs)["written"] for t in before} == before
    with pytest.raises(RunError, match=r"--keep-mass 0\.99 --max-keys 8"):
        run(options(root, tiny_vlms, max_keys=9, prompts=(*PROMPTS, "A new one?")))
