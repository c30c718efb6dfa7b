"""/attention/{id}/heatmap.png."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image


def png(client: TestClient, image_id: str = "img_0", **params: object) -> Image.Image:
    response = client.get(f"/attention/{image_id}/heatmap.png", params={"model": "dinov2", **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-weights"] in ("pretrained", "random")
    assert "content-encoding" not in response.headers  # PNGs are not gzipped again
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_default_is_an_overlay_with_the_image_aspect(client: TestClient) -> None:
    image = png(client)
    assert image.mode == "RGB" and image.size == (512, 384)  # img_0 is 40 x 30


@pytest.mark.parametrize("colormap", ["viridis", "magma", "turbo", "gray", "inferno", "plasma", "cividis"])
def test_colormaps(client: TestClient, colormap: str) -> None:
    image = png(client, colormap=colormap, size=64, overlay=False, opacity=1)
    assert image.mode == "RGBA" and image.size == (64, 48)
    colours = np.asarray(image)[..., :3].reshape(-1, 3)
    if colormap == "gray":
        assert (colours[:, 0] == colours[:, 1]).all()
    assert len(np.unique(colours, axis=0)) > 4  # minmax spreads the map over the colormap


def test_map_only_is_transparent_by_opacity(client: TestClient) -> None:
    image = png(client, overlay=False, opacity=0.5, size=32)
    assert set(np.asarray(image)[..., 3].ravel().tolist()) == {128}


def test_boxes_are_drawn_over_the_map(client: TestClient) -> None:
    params = {"size": 200, "colormap": "gray", "interpolation": "nearest"}
    plain = np.asarray(png(client, **params)).astype(int)
    boxed = np.asarray(png(client, boxes=True, **params)).astype(int)
    changed = np.abs(plain - boxed).sum(axis=-1) > 0
    assert changed.mean() > 0.01
    greenish = boxed[changed]
    assert ((greenish[:, 1] > 200) | (greenish.sum(axis=-1) == 0)).mean() > 0.5


def test_normalize_none_and_explicit_range(client: TestClient) -> None:
    dark = np.asarray(png(client, normalize="none", colormap="gray", overlay=False, size=32))
    assert dark[..., 0].max() < 64  # probabilities of ~1/36 are near the bottom of 0..1
    bright = np.asarray(png(client, vmin=0, vmax=0.001, colormap="gray", overlay=False, size=32))
    assert bright[..., 0].min() == 255


@pytest.mark.parametrize(
    ("params", "status", "parameter"),
    [
        ({"colormap": "rainbow"}, 422, "colormap"),
        ({"size": 8}, 422, "size"),
        ({"size": 4096}, 422, "size"),
        ({"opacity": 1.5}, 422, "opacity"),
        ({"vmin": 0.5, "vmax": 0.2}, 400, "vmax"),
        ({"interpolation": "lanczos"}, 422, "interpolation"),
        ({"layer": 7}, 400, "layer"),
        ({"method": "pool"}, 400, "method"),
    ],
)
def test_heatmap_errors(client: TestClient, params: dict, status: int, parameter: str) -> None:
    response = client.get("/attention/img_0/heatmap.png", params={"model": "dinov2", **params})
    assert response.status_code == status, response.text
    assert response.json()["parameter"] == parameter


def test_colormap_error_names_the_choices(client: TestClient) -> None:
    message = client.get("/attention/img_0/heatmap.png", params={"model": "dinov2", "colormap": "x"}).json()[
        "message"
    ]
    for name in ("viridis", "magma", "turbo", "gray"):
        assert name in message
