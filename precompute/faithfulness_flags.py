"""The `--faithfulness` flags of `precompute` (docs/precompute.md#faithfulness)."""

from __future__ import annotations

import argparse
from typing import Any

from ssl_attention.metrics.faithfulness import DEFAULT_STEPS, MAP_SETS, MAX_STEPS


def add_faithfulness_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("faithfulness (deletion/insertion curves)")
    group.add_argument(
        "--faithfulness",
        action="store_true",
        help="score the stored maps of the run's models by deletion and insertion curves of the model's "
        "target (cosine similarity of the embedding for models without a head); incremental",
    )
    group.add_argument(
        "--steps",
        type=int,
        default=DEFAULT_STEPS,
        metavar="K",
        help=f"perturbation steps per curve, 1-{MAX_STEPS} (default {DEFAULT_STEPS}: K + 1 scores a curve)",
    )
    group.add_argument(
        "--faithfulness-maps",
        choices=MAP_SETS,
        default="default",
        help="which maps: last (fused, last layer), fused (every layer), default (fused maps of every layer "
        "and every head of the last layer), all (every head of every layer); random and centre always",
    )


def faithfulness_options(args: argparse.Namespace) -> dict[str, Any]:
    """The RunOptions fields of the flags above."""
    return {
        "faithfulness": args.faithfulness,
        "faithfulness_steps": args.steps,
        "faithfulness_maps": args.faithfulness_maps,
    }
