"""The flags of the gradient methods (issue 17): Grad-CAM's and gradient-weighted rollout's target."""

from __future__ import annotations

import argparse
from typing import Any

MAX_TARGET_TEXT = 300  # characters of one --target-text


def add_gradient_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("gradient methods (resnet50's gradcam; gradrollout)")
    group.add_argument(
        "--target-class",
        type=int,
        default=None,
        metavar="N",
        help="the class Grad-CAM (and a classifier's gradrollout) explains; default: each image's top class",
    )
    group.add_argument(
        "--target-text",
        action="append",
        default=[],
        metavar="TEXT",
        help="a prompt CLIP/SigLIP's gradrollout explains the image-text similarity to (repeatable; "
        "each stored on its own); without it CLIP/SigLIP get no gradrollout",
    )


def gradient_options(args: argparse.Namespace) -> dict[str, Any]:
    """The RunOptions fields of these flags (`target_class`, `target_texts`)."""
    texts = tuple(dict.fromkeys(text.strip() for text in args.target_text))
    return {"target_class": args.target_class, "target_texts": texts}


def check_target_texts(texts: tuple[str, ...]) -> str | None:
    """Why these --target-text values cannot run, or None."""
    for text in texts:
        if not text:
            return "--target-text takes a non-empty prompt, e.g. --target-text 'a photo of a cat'"
        if len(text) > MAX_TARGET_TEXT:
            return f"--target-text takes at most {MAX_TARGET_TEXT} characters, got {len(text)}"
    return None
