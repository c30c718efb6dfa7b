"""`/metrics/faithfulness`: curves computed by `precompute --faithfulness`'s step on a copy of the
precomputed catalog (tiny dinov2 and clip), served per model (summaries with bootstrap intervals,
checked against numpy on the per-image AUCs the image route serves) and per image; errors."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from precompute.faithfulness import run_faithfulness
from precompute.options import RunOptions, resolve_models
from ssl_attention.metrics.aggregate import bootstrap_ci
from tests.app.conftest import GOOD_IDS, Api, copy_sqlite

MODELS = ("clip", "dinov2")
STEPS = 3


@pytest.fixture(scope="module")
def client(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("faithfulness-api")
    db = copy_sqlite(api.settings.db, root / "catalog.db")
    data = api.data
    options = RunOptions(
        models=list(MODELS),
        images=api.settings.images,
        store=data.store,
        db=db,
        checkpoints={k: str(data.checkpoints[k]) for k in MODELS},
        image_size=data.image_size,
        device="cpu",
        faithfulness=True,
        faithfulness_steps=STEPS,
        faithfulness_maps="last",
    )
    from ssl_attention.store.catalog import CatalogWriter

    catalog = CatalogWriter.open(db, migrate=False)
    report = run_faithfulness(options, resolve_models(options), catalog, torch.device("cpu"), torch.float32)
    catalog.close()
    assert report.images_computed == len(MODELS) * len(GOOD_IDS)
    settings = ApiSettings(
        images=api.settings.images, store=data.store, db=db, frontend_dist=root / "no-frontend"
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_summary_lists_every_model_with_intervals_that_match_the_images(client: TestClient) -> None:
    response = client.get("/metrics/faithfulness")
    assert response.status_code == 200
    assert response.headers["etag"]
    models = response.json()["models"]
    assert [m["model"] for m in models] == list(MODELS)
    for entry in models:
        assert entry["target"] == "embedding-cosine"
        assert entry["steps"] == STEPS and entry["images"] == len(GOOD_IDS)
        keys = {(c["method"], c["layer"], c["head"]) for c in entry["cells"]}
        assert ("random", 0, None) in keys and ("centre", 0, None) in keys
        assert all(c["head"] is None for c in entry["cells"])  # map set `last`: fused maps only
        for cell in entry["cells"]:
            per_image = []
            for image_id in GOOD_IDS:
                one = client.get(
                    f"/metrics/faithfulness/{image_id}",
                    params={
                        "model": entry["model"],
                        "method": cell["method"],
                        "layer": cell["layer"],
                        "head": -1,
                    },
                ).json()
                (curve,) = one["curves"]
                per_image.append((curve["deletion_auc"], curve["insertion_auc"]))
            aucs = np.asarray(per_image)
            assert cell["n"] == len(GOOD_IDS)
            assert cell["deletion"]["mean"] == pytest.approx(aucs[:, 0].mean())
            assert cell["insertion"]["mean"] == pytest.approx(aucs[:, 1].mean())
            low, high = bootstrap_ci(aucs[:, 0])
            assert (cell["deletion"]["ci_low"], cell["deletion"]["ci_high"]) == pytest.approx((low, high))
    one_model = client.get("/metrics/faithfulness", params={"model": "clip"}).json()["models"]
    assert one_model == [models[0]]
    again = client.get("/metrics/faithfulness", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_one_image_has_a_curve_per_map_from_the_whole_image(client: TestClient) -> None:
    body = client.get("/metrics/faithfulness/sub__nested_5", params={"model": "dinov2"}).json()
    assert body["image_id"] == "sub__nested_5" and body["steps"] == STEPS
    assert body["target"] == "embedding-cosine"
    assert len(body["curves"]) >= 3
    for curve in body["curves"]:
        assert len(curve["deletion"]) == len(curve["insertion"]) == STEPS + 1
        assert curve["deletion"][0] == pytest.approx(1.0, abs=1e-4)  # the whole image: cosine 1
        assert curve["insertion"][-1] == pytest.approx(1.0, abs=1e-4)
        d = curve["deletion"]
        assert curve["deletion_auc"] == pytest.approx((sum(d) - d[0] / 2 - d[-1] / 2) / STEPS)
    only = client.get(
        "/metrics/faithfulness/sub__nested_5", params={"model": "dinov2", "method": "centre"}
    ).json()
    assert [(c["method"], c["layer"], c["head"]) for c in only["curves"]] == [("centre", 0, None)]


@pytest.mark.parametrize(
    ("path", "params", "status", "says"),
    [
        ("/metrics/faithfulness", {"model": "nope"}, 404, "unknown model"),
        ("/metrics/faithfulness", {"model": "mae"}, 404, "precompute --faithfulness"),
        ("/metrics/faithfulness/img_0", {"model": "mae"}, 404, "precompute --faithfulness"),
        ("/metrics/faithfulness/nope", {"model": "dinov2"}, 404, "unknown image"),
        ("/metrics/faithfulness/img_0", {}, 422, "model"),
        ("/metrics/faithfulness/img_0", {"model": "dinov2", "head": -2}, 422, "head"),
        ("/metrics/faithfulness/img_0", {"model": "dinov2", "layer": 5000}, 422, "layer"),
        ("/metrics/faithfulness", {"model": "x" * 201}, 422, "model"),
    ],
)
def test_errors_are_json_with_a_message(
    client: TestClient, path: str, params: dict[str, object], status: int, says: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    assert says in response.json()["message"]
