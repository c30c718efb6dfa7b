"""`precompute`: run models over an image gallery and store their raw attention maps.

precompute --models all --per-head
precompute --models dinov2,clip --images ~/photos --image-size 448
precompute --models dinov2 --checkpoint dinov2=./my-finetuned-dinov2 --weights pretrained
precompute --variant dinov2-ft=dinov2 --checkpoint dinov2-ft=./ft --models dinov2,dinov2-ft
precompute --variant dinov2-lora=dinov2 --adapter dinov2-lora=./my-lora --models dinov2,dinov2-lora
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from precompute.executors import add_executor_arguments, executor_options
from precompute.faithfulness_flags import add_faithfulness_arguments, faithfulness_options
from precompute.gradients import add_gradient_arguments, gradient_options
from precompute.hub import check_hub
from precompute.options import DEVICES, DTYPES, RunError, RunOptions
from precompute.report import print_summary, progress_bars, warnings_above_bars
from precompute.runner import run
from precompute.scale_options import add_store_arguments
from precompute.texts import add_text_arguments, text_options
from precompute.vlm_gradients import add_vlm_gradient_arguments, vlm_gradient_options
from ssl_attention.data.annotations import AnnotationError
from ssl_attention.data.limits import LimitError
from ssl_attention.data.remote import is_remote
from ssl_attention.models.peft_adapter import AdapterError, parse_adapters
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
        help=f"all, a group (vit, lm, vlm) or names: {models} or a declared variant (default: all)",
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
        "--adapter",
        action="append",
        default=[],
        metavar="NAME=DIR_OR_HUB_ID",
        help="attach a PEFT adapter (LoRA, ...) saved with save_pretrained to the variant NAME's base weights; "
        "merged into the weights unless --no-merge; repeatable",
    )
    parser.add_argument(
        "--no-merge",
        action="store_true",
        help="run adapters as separate PEFT layers instead of merging them into the weights",
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
        help="score the maps against the gallery's annotation boxes, and compare each variant with "
        "its base (shift; incremental)",
    )
    parser.add_argument(
        "--annotations",
        type=Path,
        default=None,
        metavar="FILE",
        help="ground-truth boxes: COCO-style JSON or WikiChurches building_parts.json "
        "(default: annotations.json in the image folder, if any)",
    )
    add_faithfulness_arguments(parser)
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
    vlm.add_argument(
        "--answer-from",
        default=None,
        metavar="NAME",
        help="teacher-force the other VLMs of the run through NAME's generated answer (one pass over the "
        "same token ids), so every answer token has a pair; each model's own answer is kept too",
    )
    add_text_arguments(parser)
    add_gradient_arguments(parser)
    add_vlm_gradient_arguments(parser)
    parser.add_argument("--workers", type=int, default=4, help="image decoding threads (default 4)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_store_arguments(parser)
    add_executor_arguments(parser)
    return parser


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
            images=args.images if is_remote(args.images) else Path(args.images),
            store=args.store,
            db=args.db,
            checkpoints=parse_checkpoint_overrides(args.checkpoint, variants),
            variants=variants,
            adapters=parse_adapters(args.adapter, variants),
            merge_adapters=not args.no_merge,
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
            answer_from=args.answer_from,
            **text_options(args),
            **faithfulness_options(args),
            **gradient_options(args),
            **vlm_gradient_options(args),
            shard_size=args.shard_size,
            **executor_options(args),
        )
        check_hub(options)  # offline: said once, and no 30 s of hub retries
        with warnings_above_bars():
            report = run(options, progress=progress_bars(args.quiet))
    except (
        RunError,
        ModelLoadError,
        StoreError,
        AnnotationError,
        LimitError,
        AdapterError,
        FileNotFoundError,
    ) as error:
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
