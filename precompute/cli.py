"""`precompute`: run models over an image gallery and store their raw attention maps.

precompute --models all --per-head
precompute --models dinov2,clip --images ~/photos --image-size 448
precompute --models dinov2 --checkpoint dinov2=./my-finetuned-dinov2 --weights pretrained
precompute --variant dinov2-ft=dinov2 --checkpoint dinov2-ft=./ft --models dinov2,dinov2-ft
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from precompute.options import DEVICES, DTYPES, RunError, RunOptions
from precompute.runner import RunReport, run
from ssl_attention.data.annotations import AnnotationError
from ssl_attention.models.qwen_vl import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, DEFAULT_PROMPT
from ssl_attention.models.registry import (
    REGISTRY,
    WEIGHTS,
    ModelLoadError,
    parse_checkpoint_overrides,
    parse_variants,
    resolve_keys,
)
from ssl_attention.settings import Settings
from ssl_attention.store.arrays import StoreError


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    settings = Settings.from_env()
    parser = _OneLineParser(
        prog="precompute",
        description="Precompute raw attention maps (cls, mean, rollout, pool, prefix mass) into a Zarr store.",
    )
    models = ", ".join(REGISTRY)
    parser.add_argument(
        "--models",
        default="all",
        help=f"all, a group (vit, vlm) or names: {models} or a declared variant (default: all)",
    )
    parser.add_argument("--images", default=settings.images, help="gallery folder (env SSL_ATTENTION_IMAGES)")
    parser.add_argument(
        "--store", default=settings.store, help="Zarr store path or URL (env SSL_ATTENTION_STORE)"
    )
    parser.add_argument("--db", default=settings.db, help="SQLAlchemy catalog URL (env SSL_ATTENTION_DB)")
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="KEY=HF_ID_OR_DIR",
        help="use another checkpoint for a key or a variant (a hub id or a folder saved with save_pretrained); "
        "repeatable",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=KEY",
        help="declare a model NAME built like registry KEY and stored under NAME beside it (its weights: "
        "--checkpoint NAME=...); all and vit/vlm include it; repeatable",
    )
    parser.add_argument(
        "--weights", choices=WEIGHTS, default="pretrained", help="pretrained (default) or random init"
    )
    parser.add_argument(
        "--per-head", action="store_true", help="also store every head's maps (not only the mean)"
    )
    parser.add_argument(
        "--image-size", type=int, default=224, help="square input size in pixels (default 224)"
    )
    parser.add_argument("--batch-size", type=int, default=16, help="images per forward pass (default 16)")
    parser.add_argument("--device", choices=DEVICES, default="auto", help="auto (default), cpu, cuda or mps")
    parser.add_argument(
        "--dtype",
        choices=("auto", *DTYPES),
        default="auto",
        help="autocast dtype; auto = bf16 on CUDA, else fp32",
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N images (by id)")
    parser.add_argument(
        "--force", action="store_true", help="recompute everything, rebuilding the models' groups"
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="decode every stored chunk of finished images and recompute the damaged ones "
        "(every run already recomputes those whose chunks are missing)",
    )
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="score the maps against the gallery's annotation boxes (incremental)",
    )
    parser.add_argument(
        "--annotations",
        type=Path,
        default=None,
        metavar="FILE",
        help="ground-truth boxes: COCO-style JSON or WikiChurches building_parts.json "
        "(default: annotations.json in the image folder, if any)",
    )
    vlm = parser.add_argument_group("VLMs (qwen2_5_vl, qwen3_vl)")
    vlm.add_argument(
        "--prompt",
        action="append",
        default=[],
        metavar="TEXT",
        help=f"a prompt to run on every image; repeatable (default: '{DEFAULT_PROMPT}')",
    )
    vlm.add_argument("--prompts", type=Path, default=None, metavar="FILE", help="prompts, one per line")
    vlm.add_argument(
        "--max-new-tokens", type=int, default=64, help="answer length bound, greedy decoding (default 64)"
    )
    vlm.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help=f"resize bound for dynamic resolution, in pixels (default {DEFAULT_MAX_PIXELS} = 448²)",
    )
    vlm.add_argument(
        "--min-pixels",
        type=int,
        default=DEFAULT_MIN_PIXELS,
        help=f"lower resize bound (default {DEFAULT_MIN_PIXELS})",
    )
    parser.add_argument("--workers", type=int, default=4, help="image decoding threads (default 4)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _progress(quiet: bool) -> Any:
    if quiet:
        return None
    from tqdm import tqdm

    def bar(key: str, total: int) -> Any:
        return tqdm(total=total, desc=f"{key:>8}", unit="img", dynamic_ncols=True, file=sys.stderr)

    return bar


def _size(n: int | None) -> str:
    if n is None:
        return "n/a"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def print_summary(report: RunReport) -> None:
    for path, why in report.skipped_files:
        print(f"skipped {path}: {why}")
    if report.annotations:
        print(f"annotations: {report.annotations} ground-truth boxes loaded")
    total_done = total_seconds = total_bytes = 0.0
    for model in report.models:
        rate = f"{model.images_per_second:.2f} img/s"
        if model.unit == "tok":
            rate += f", {model.tokens} text tokens, {model.tokens_per_second:.1f} tok/s"
        line = (
            f"{model.key}: {model.done} images in {model.seconds:.1f} s "
            f"({rate} after {model.load_seconds:.1f} s loading), "
            f"{model.already_done} already done, {len(model.failed)} failed, {_size(model.bytes_written)} written"
        )
        if model.repaired:
            line += f", {model.repaired} damaged in the store and recomputed"
        if model.known_unreadable:
            line += f", {model.known_unreadable} unreadable files skipped (recorded in the catalog)"
        print(line)
        for image_id, why in model.failed:
            print(f"  failed {image_id}: {why}")
        total_done += model.done
        total_seconds += model.seconds
        total_bytes += model.bytes_written or 0
    if report.metrics is not None:
        m = report.metrics
        print(
            f"metrics: {m.pairs_scored} image × model pairs scored ({m.values} values), "
            f"{m.pairs_already} already scored, {m.summaries} summaries"
        )
    print(
        f"total: {int(total_done)} image maps over {len(report.models)} model(s) in {total_seconds:.1f} s, "
        f"{_size(int(total_bytes))} written"
    )


def _quiet_transformers() -> None:
    """Keep stderr for our progress and errors: no per-load progress bars or notices from transformers."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def read_prompts(inline: list[str], path: Path | None) -> tuple[str, ...]:
    """--prompt values, then the non-blank lines of --prompts; the default prompt when neither is given."""
    prompts = list(inline)
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RunError(
                f"cannot read --prompts {path} ({error}); give a UTF-8 text file, one prompt per line"
            ) from None
        prompts += [line.strip() for line in text.splitlines() if line.strip()]
        if not prompts:
            raise RunError(f"--prompts {path} has no prompt; write one prompt per line")
    unique = tuple(dict.fromkeys(prompts))  # a prompt given twice runs once
    return unique or (DEFAULT_PROMPT,)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _quiet_transformers()
    try:
        variants = parse_variants(args.variant)
        options = RunOptions(
            models=resolve_keys(args.models, variants),
            images=Path(args.images),
            store=args.store,
            db=args.db,
            checkpoints=parse_checkpoint_overrides(args.checkpoint, variants),
            variants=variants,
            weights=args.weights,
            image_size=args.image_size,
            batch_size=args.batch_size,
            device=args.device,
            dtype=args.dtype,
            limit=args.limit,
            force=args.force,
            verify=args.verify,
            per_head=args.per_head,
            workers=args.workers,
            metrics=args.metrics,
            annotations=args.annotations,
            prompts=read_prompts(args.prompt, args.prompts),
            max_new_tokens=args.max_new_tokens,
            min_pixels=args.min_pixels,
            max_pixels=args.max_pixels,
        )
        report = run(options, progress=_progress(args.quiet))
    except (RunError, ModelLoadError, StoreError, AnnotationError, FileNotFoundError) as error:
        print(f"precompute: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "precompute: interrupted; finished rows are kept, rerun the same command to resume",
            file=sys.stderr,
        )
        return 130
    print_summary(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
