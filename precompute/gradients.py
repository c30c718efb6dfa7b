"""The flags of the gradient methods (issue 17): which class Grad-CAM explains."""

from __future__ import annotations

import argparse
from typing import Any


def add_gradient_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("gradient methods (resnet50's gradcam)")
    group.add_argument(
        "--target-class",
        type=int,
        default=None,
        metavar="N",
        help="the class Grad-CAM explains (0-based index of the model's head); default: each image's top class",
    )


def gradient_options(args: argparse.Namespace) -> dict[str, Any]:
    """The RunOptions fields of these flags."""
    return {"target_class": args.target_class}
