"""A precompute run: validate, sync the gallery into the catalog, then each model in turn through
its kind's runner (the kinds table names it: `ssl_attention.kinds`), then the metrics.

    validate (common flags, then each kind's) → discover + sync images and annotations →
    for each model, holding its lock: plan → load → execute batches (precompute/pipeline.py)
"""

from __future__ import annotations

from collections import defaultdict

from precompute.executors import execute_model, validate_executor
from precompute.faithfulness import check_faithfulness, run_faithfulness
from precompute.gradrollout import target_notes
from precompute.kind import FAULT_ENV as FAULT_ENV
from precompute.kind import KindRunner
from precompute.kind import ModelSummary as ModelSummary
from precompute.lease import model_lease
from precompute.options import DEVICES as DEVICES
from precompute.options import DTYPES as DTYPES
from precompute.options import RunError as RunError
from precompute.options import RunOptions as RunOptions
from precompute.options import pick_device as pick_device
from precompute.options import pick_dtype as pick_dtype
from precompute.options import resolve_models, validate_common, validate_images
from precompute.outputs import open_outputs
from precompute.pipeline import Progress
from precompute.report import RunReport as RunReport
from precompute.report import squashed_images
from precompute.texts import run_texts
from ssl_attention.data.annotations import ANNOTATIONS_FILE, gallery_annotations, load_annotations
from ssl_attention.data.gallery import discover
from ssl_attention.kinds import KINDS, kind_named
from ssl_attention.metrics.compute import compute_metrics
from ssl_attention.metrics.shift import compute_shift
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.catalog import AnnotationBox


def runner_of(model: ResolvedModel) -> KindRunner:
    """The precompute runner of the model's kind (`precompute/<kind>.py`'s RUNNER)."""
    runner: KindRunner = kind_named(model.spec.kind).hook("precompute")
    return runner


def validate(options: RunOptions) -> list[ResolvedModel]:
    """Everything that can be checked before anything is written."""
    validate_common(options)
    check_faithfulness(options)
    validate_executor(options)
    resolved = resolve_models(options)
    by_kind: dict[str, list[ResolvedModel]] = defaultdict(list)
    for model in resolved:
        by_kind[model.spec.kind].append(model)
    for kind in KINDS:  # in the table's order: the same error first whatever the --models order
        if by_kind[kind]:
            runner_of(by_kind[kind][0]).validate(options, by_kind[kind])
    validate_images(options)
    return resolved


def run(options: RunOptions, progress: Progress | None = None) -> RunReport:
    """Validate, then precompute each model in turn. Raises RunError/ModelLoadError/StoreError on bad input."""
    if options.texts is not None:  # text language models over a texts file (precompute/texts.py)
        return run_texts(options, progress)
    resolved = validate(options)
    # Models that read texts, not images (the `lm` kind), sit out a gallery run, with a note.
    resting = [m.name for m in resolved if getattr(runner_of(m), "reads_texts", False)]
    resolved = [m for m in resolved if m.name not in resting]
    device = pick_device(options.device)
    dtype = pick_dtype(options.dtype, device)
    discovery = discover(options.images)
    files = discovery.files[: options.limit] if options.limit else discovery.files
    if not files:
        raise RunError(
            f"no images in {options.images} (looked for .jpg, .jpeg, .png, .webp, .bmp, .gif, .tif)"
        )
    # A broken annotation file stops the run before anything is written.
    if options.annotations is not None:
        if not options.annotations.is_file():
            raise RunError(
                f"annotation file {options.annotations} does not exist; "
                "pass a COCO-style JSON or a WikiChurches building_parts.json"
            )
        boxes: list[AnnotationBox] | None = load_annotations(options.annotations)
        source = str(options.annotations)
    else:
        boxes, source = gallery_annotations(options.images), ANNOTATIONS_FILE
    looked_for = f"{str(options.images).rstrip('/')}/{ANNOTATIONS_FILE}"
    catalog, store = open_outputs(options, [model.name for model in resolved])
    report = RunReport([], discovery.skipped, annotations_looked_for=str(options.annotations or looked_for))
    report.notes += target_notes(options, resolved)
    if resting:
        report.notes.append(
            f"{', '.join(resting)}: text language models, not run over images (pass --texts FILE.jsonl)"
        )
    try:
        catalog.sync_images(files)
        if boxes is not None:
            report.annotations = catalog.replace_annotations(boxes, source=source)
        for model in resolved:
            with store.model_lock(model.name), model_lease(catalog, store, model.name):
                runner = runner_of(model)
                summary = execute_model(
                    runner, model, files, options, store, catalog, device, dtype, progress
                )
                report.models.append(summary)
        if any(runner_of(model).square_input for model in resolved):
            report.squashed = squashed_images(catalog, [f.id for f in files])
        store.consolidate()  # what `xr.open_zarr` reads in one request (docs/data-contract.md)
        if options.metrics:
            report.metrics = compute_metrics(options.store, catalog, models=options.models)
            report.shift = compute_shift(options.store, catalog, models=options.models)
        if options.faithfulness:
            report.faithfulness = run_faithfulness(options, resolved, catalog, device, dtype, progress)
    finally:
        catalog.close()
    return report
