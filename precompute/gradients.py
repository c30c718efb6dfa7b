"""The flags of the gradient methods (issue 17): which class Grad-CAM and a classifier's
gradrollout explain, and which prompts CLIP/SigLIP's gradrollout explains."""

from __future__ import annotations

import argparse
from typing import Any


def add_gradient_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "gradient methods (resnet50's gradcam; gradrollout of clip, siglip, vit_in1k)"
    )
    group.add_argument(
        "--target-class",
        type=int,
        default=None,
        metavar="N",
        help="the class Grad-CAM and vit_in1k's gradrollout explain (0-based index of the model's head); "
        "default: each image's top class",
    )
    group.add_argument(
        "--target-text",
        action="append",
        default=[],
        metavar="TEXT",
        help="store gradrollout for CLIP/SigLIP: the map of the image-text similarity to TEXT "
        '(repeatable: one map per text; e.g. --target-text "a photo of a cat")',
    )


def gradient_options(args: argparse.Namespace) -> dict[str, Any]:
    """The RunOptions fields of these flags."""
    return {"target_class": args.target_class, "target_texts": tuple(args.target_text)}
