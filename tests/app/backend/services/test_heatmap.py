"""Heatmap rendering."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.backend.services.errors import InvalidParameter
from app.backend.services.heatmap import Box, HeatmapStyle, colormap_lut, render_heatmap, scale_values


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize("name", ["viridis", "magma", "inferno", "plasma", "cividis", "turbo", "gray"])
def test_colormaps_have_256_colours(name: str) -> None:
    lut = colormap_lut(name)  # type: ignore[arg-type]
    assert lut.shape == (256, 3) and lut.dtype == np.uint8


def test_gray_maps_low_to_black_and_high_to_white() -> None:
    values = np.array([[0.0, 1.0]], dtype=np.float32)
    image = decode(render_heatmap(values, (2, 1), colormap="gray", interpolation="nearest", opacity=1.0))
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0)) == (0, 0, 0, 255)
    assert image.getpixel((1, 0)) == (255, 255, 255, 255)


def test_overlay_blends_over_the_background_at_its_size() -> None:
    background = Image.new("RGB", (10, 10), (200, 0, 0))
    values = np.zeros((2, 2), dtype=np.float32)
    png = render_heatmap(
        values, (30, 20), colormap="gray", interpolation="bilinear", opacity=0.25, background=background
    )
    image = decode(png)
    assert image.size == (30, 20) and image.mode == "RGB"
    assert image.getpixel((15, 10)) == (150, 0, 0)


def test_boxes_are_drawn() -> None:
    values = np.zeros((2, 2), dtype=np.float32)
    plain = decode(render_heatmap(values, (64, 64), colormap="gray", interpolation="nearest", opacity=1.0))
    boxed = decode(
        render_heatmap(
            values,
            (64, 64),
            colormap="gray",
            interpolation="nearest",
            opacity=1.0,
            boxes=[Box("", 0.25, 0.25, 0.75, 0.75)],
        )
    )
    assert plain.getpixel((16, 32)) == (0, 0, 0, 255)
    assert boxed.getpixel((16, 32))[:3] == (0, 255, 136)
    assert boxed.getpixel((32, 32)) == (0, 0, 0, 255)  # the inside stays untouched


def test_scale_values_clips_and_survives_a_zero_range() -> None:
    values = np.array([0.0, 0.5, 1.0], dtype=np.float16)
    assert scale_values(values, 0.25, 0.75).tolist() == [0.0, 0.5, 1.0]
    assert scale_values(values, 0.5, 0.5).tolist() == [0.0, 0.0, 0.0]


def test_style_value_range() -> None:
    assert HeatmapStyle().value_range(0.01, 0.05) == (0.01, 0.05)
    assert HeatmapStyle(normalize="none").value_range(0.01, 0.05) == (0.0, 1.0)
    assert HeatmapStyle(vmax=0.02).value_range(0.01, 0.05) == (0.01, 0.02)
    assert HeatmapStyle(normalize="none", vmin=0.5).value_range(0.01, 0.05) == (0.5, 1.0)


def test_style_refuses_an_empty_range() -> None:
    with pytest.raises(InvalidParameter) as error:
        HeatmapStyle(vmin=0.3, vmax=0.3)
    assert error.value.parameter == "vmax"
