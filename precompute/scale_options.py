"""Flags for large galleries and remote stores (docs/precompute.md, "Object storage and shards")."""

from __future__ import annotations

import argparse


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("large galleries")
    group.add_argument(
        "--shard-size",
        type=int,
        default=None,
        metavar="N",
        help="store a ViT group's arrays as shards of N images (one object per N images instead of one per "
        "image; chunks stay one image); for stores on object storage or with millions of images, e.g. 256. "
        "Default: unsharded. Fixed when the group is created (another size needs --force)",
    )
