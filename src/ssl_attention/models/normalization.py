"""A model's input normalisation: plain values, no torch, so that decoding an image
(`models.preprocess`, the CPU decode tasks of `precompute --executor ray`) never imports it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Normalization:
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
