"""Metric functions on hand-computed cases, and the frame against torch's interpolation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ssl_attention.metrics.baselines import centre_gaussian, uniform_random
from ssl_attention.metrics.frame import Frame, Region, box_mask, cells_to_frame, region_masks, upsample
from ssl_attention.metrics.localisation import (
    energy_in_boxes,
    iou_top_percent,
    mass_mask,
    mass_mask_iou,
    pointing_hit,
)

SQUARE = Frame(4, 4, 1.0)  # a 4×4 px image evaluated at its own size
LEFT_HALF = (0.0, 0.0, 0.5, 1.0)
RIGHT_HALF = (0.5, 0.0, 1.0, 1.0)
LEFT_COLUMN_MAP = np.array([[1.0, 0.0], [1.0, 0.0]])


def test_upsampling_matches_torch_bilinear_half_pixel() -> None:
    grid = np.random.default_rng(0).random((3, 5, 7))
    frame = Frame.for_image(640, 427, longer_side=224)
    assert (frame.width, frame.height) == (224, 149)
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(grid)[None], size=(149, 224), mode="bilinear", align_corners=False
    )[0].numpy()
    np.testing.assert_allclose(upsample(grid, frame), expected, rtol=1e-10, atol=1e-12)


def test_box_and_cell_masks_use_pixel_centres() -> None:
    mask = box_mask([LEFT_HALF], SQUARE)
    assert mask[:, :2].all() and not mask[:, 2:].any()
    cells = cells_to_frame(np.array([[True, False], [False, False]]), SQUARE)
    assert cells[:2, :2].all() and cells.sum() == 4


def test_iou_top_percent_hand_cases() -> None:
    up = upsample(LEFT_COLUMN_MAP, SQUARE)  # columns: 1, 0.75, 0.25, 0
    np.testing.assert_allclose(up[0], [1, 0.75, 0.25, 0])
    assert iou_top_percent(up, box_mask([LEFT_HALF], SQUARE), 50) == 1.0
    assert iou_top_percent(up, box_mask([RIGHT_HALF], SQUARE), 50) == 0.0
    assert iou_top_percent(up, box_mask([LEFT_HALF], SQUARE), 25) == 0.5  # 4 px of an 8 px box


def test_mass_mask_keeps_the_fewest_patches_reaching_the_mass() -> None:
    grid = np.array([[0.5, 0.3], [0.15, 0.05]])
    assert mass_mask(grid, 0.5).tolist() == [[True, False], [False, False]]
    assert mass_mask(grid, 0.6).tolist() == [[True, True], [False, False]]
    assert mass_mask(grid, 1.0).all()
    assert mass_mask_iou(grid, box_mask([(0.0, 0.0, 1.0, 0.5)], SQUARE), SQUARE, 0.6) == 1.0
    assert mass_mask_iou(grid, box_mask([(0.0, 0.5, 1.0, 1.0)], SQUARE), SQUARE, 0.6) == 0.0


def test_pointing_game_hits_on_the_border_with_tolerance() -> None:
    frame = Frame(16, 16, 1.0)
    grid = np.zeros((4, 4))
    grid[0, 0] = 1.0
    up = upsample(grid, frame)
    assert np.unravel_index(np.argmax(up), up.shape) == (0, 0)  # centre of pixel (0, 0) is (0.5, 0.5) px
    box = (2 / 16, 0.0, 1.0, 1.0)  # left edge at x = 2 px: the peak is 1.5 px away
    assert pointing_hit(up, [box], frame, tolerance_px=0) == 0.0
    assert pointing_hit(up, [box], frame, tolerance_px=1.5) == 1.0
    assert pointing_hit(up, [(0.0, 0.0, 0.5, 0.5)], frame, tolerance_px=0) == 1.0


def test_pointing_tolerance_is_in_original_image_pixels() -> None:
    frame = Frame.for_image(64, 64, longer_side=16)  # 4 original px per frame px
    grid = np.zeros((4, 4))
    grid[0, 0] = 1.0
    box = (8 / 64, 0.0, 1.0, 1.0)  # the peak's centre (2, 2) original px is 6 px from x = 8
    up = upsample(grid, frame)
    assert pointing_hit(up, [box], frame, tolerance_px=5.9) == 0.0
    assert pointing_hit(up, [box], frame, tolerance_px=6.0) == 1.0


def test_energy_in_boxes() -> None:
    uniform = np.ones((4, 4))
    assert energy_in_boxes(uniform, box_mask([LEFT_HALF], SQUARE)) == 0.5
    assert energy_in_boxes(upsample(LEFT_COLUMN_MAP, SQUARE), box_mask([LEFT_HALF], SQUARE)) == pytest.approx(
        (1 + 0.75) / 2
    )


def test_baselines_are_normalised_and_reproducible() -> None:
    gauss = centre_gaussian((6, 6))
    assert gauss.sum() == pytest.approx(1.0) and gauss[2:4, 2:4].min() == gauss.max()
    assert np.array_equal(uniform_random((6, 6), "cat"), uniform_random((6, 6), "cat"))
    assert not np.array_equal(uniform_random((6, 6), "cat"), uniform_random((6, 6), "dog"))


def test_vectorised_scoring_equals_the_one_map_definitions() -> None:
    from ssl_attention.metrics.compute import MetricSettings, score_maps
    from ssl_attention.metrics.localisation import iou_top_percent, pointing_hit

    rng = np.random.default_rng(3)
    maps = rng.random((5, 6, 6)) ** 4
    maps[0] = 0.25  # all ties
    maps[1, 2, 3] = 9.0  # a clear peak
    frame = Frame.for_image(90, 60, longer_side=30)
    boxes = [(0.1, 0.2, 0.5, 0.7), (0.6, 0.0, 0.9, 0.3)]
    inside = box_mask(boxes, frame)
    settings = MetricSettings(tolerance_px=3.0)
    scores = score_maps(maps, frame, [Region(box) for box in boxes], settings)
    for k, grid in enumerate(maps):
        up = upsample(grid, frame)
        expected = {
            "iou_top10": iou_top_percent(up, inside, 10),
            "iou_top25": iou_top_percent(up, inside, 25),
            "iou_top50": iou_top_percent(up, inside, 50),
            "mass_iou_60": mass_mask_iou(grid, inside, frame, 0.6),
            "pointing_3px": pointing_hit(up, boxes, frame, 3.0),
            "energy": energy_in_boxes(up, inside),
        }
        for name, value in expected.items():
            assert scores[name][k] == pytest.approx(value, abs=1e-12), (name, k)


def test_polygons_replace_their_box_and_widen_by_the_tolerance() -> None:
    frame = Frame(20, 20, 1.0)
    # A right triangle in the top-left corner, inside the box of the whole top-left quarter.
    triangle = Region((0.0, 0.0, 0.5, 0.5), ((0.0, 0.0, 0.5, 0.0, 0.0, 0.5),))
    inside, zone = region_masks([triangle], frame, tolerance_px=0)
    assert inside[1, 1] and not inside[8, 8]  # (8, 8) is in the box but outside the triangle
    # pixel centres (i + ½, j + ½) strictly under the hypotenuse x + y = 10: i + j ≤ 8
    assert inside.sum() == 45
    # with no tolerance the zone adds only the centres exactly on the hypotenuse (i + j = 9)
    assert (zone >= inside).all() and (zone & ~inside).sum() == 10
    _, wide = region_masks([triangle], frame, tolerance_px=2)
    assert wide[5, 6] and not inside[5, 6]  # centre 1.4 px beyond the hypotenuse
    assert not wide[8, 8]  # centre 5 px beyond it
    # A box region keeps the exact distance test
    box_inside, box_zone = region_masks([Region((0.5, 0.5, 1.0, 1.0))], frame, tolerance_px=1.5)
    assert box_inside[10:, 10:].all() and box_zone[9, 9] and not box_zone[8, 8]


def test_run_length_masks_decode_column_major_and_sample_at_centres() -> None:
    from ssl_attention.metrics.frame import decode_runs

    # 2×3 image, column-major: column 0 = [0, 1], column 1 = [1, 1], column 2 = [0, 0]
    assert decode_runs(2, 3, [1, 3, 2]).astype(int).tolist() == [[0, 1, 0], [1, 1, 0]]
    frame = Frame(4, 4, 1.0)  # a 4×4 image: a mask of its left half
    left_half = (4, 4, (0, 8, 8))
    inside, zone = region_masks([Region((0.0, 0.0, 1.0, 1.0), mask=left_half)], frame, tolerance_px=0)
    assert inside[:, :2].all() and not inside[:, 2:].any() and (zone == inside).all()
    _, wide = region_masks([Region((0.0, 0.0, 1.0, 1.0), mask=left_half)], frame, tolerance_px=1)
    assert wide[:, 2].all() and not wide[:, 3].any()
