"""`precompute --models qwen3 --texts FILE.jsonl [--generate N] [--keep-mass M] [--max-keys K] [--per-head]`.

For each text language model (kind `lm`), holding its lock: open (or, with --force or new
settings and nothing written, rebuild) its group; skip the texts already written from the same
content; load the model; then for each pending text: tokenize it (a chat through the chat
template), optionally generate N tokens greedily after it, run it once through the model with a
`TextRecorder` watching every layer, and write the text layer by layer (`store/text_writer.py`),
its statistics last, then its catalog row. A run killed anywhere leaves only complete texts with
rows, or texts the next run writes again.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from precompute.kind import ModelSummary, fault
from precompute.ledger import RunLedger
from precompute.options import RunError, RunOptions, pick_device, pick_dtype, resolve_models, run_params
from precompute.outputs import open_outputs
from precompute.pipeline import Progress
from precompute.report import RunReport, size
from precompute.texts_input import BadLine, TextInput, read_texts
from ssl_attention.attention.text import TextRecorder
from ssl_attention.models.causal_lm import CausalLm, load_tokenizer
from ssl_attention.models.chat_tokens import TokenizedText, decoded, tokenize_chat, tokenize_plain
from ssl_attention.models.registry import ModelLoadError, ResolvedModel
from ssl_attention.store.catalog import CatalogWriter
from ssl_attention.store.text_layout import DEFAULT_MAX_KEYS, LmAttrs, TextAttrs, overview_block
from ssl_attention.store.text_writer import TextStoreWriter
from ssl_attention.values import TextLayer

MAX_KEYS_LIMIT = 65535  # counts are stored as uint16


def add_text_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("text language models (qwen3, smollm2, --variant NAME=causal_lm)")
    group.add_argument(
        "--texts", type=Path, default=None, metavar="FILE", help="texts to run, one JSON a line"
    )
    group.add_argument("--generate", type=int, default=0, metavar="N", help="greedy tokens after each text")
    group.add_argument("--keep-mass", type=float, default=0.99, help="keep a row's top keys up to this mass")
    group.add_argument(
        "--max-keys",
        type=int,
        default=DEFAULT_MAX_KEYS,
        help=f"... and at most this many keys (default {DEFAULT_MAX_KEYS}: a 2,000-token text of a 28-layer × "
        "16-head model with --per-head fits 50 MB)",
    )


def text_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "texts": args.texts,
        "generate": args.generate,
        "keep_mass": args.keep_mass,
        "max_keys": args.max_keys,
    }


def validate_texts(options: RunOptions, models: list[ResolvedModel]) -> None:
    assert options.texts is not None
    if not 0 < options.keep_mass <= 1:
        raise RunError(f"--keep-mass must be above 0 and at most 1, got {options.keep_mass}")
    if not 1 <= options.max_keys <= MAX_KEYS_LIMIT:
        raise RunError(f"--max-keys must be 1 to {MAX_KEYS_LIMIT}, got {options.max_keys}")
    if options.generate < 0:
        raise RunError(f"--generate must be 0 or more, got {options.generate}")
    if not options.texts.is_file():
        raise RunError(f"texts file {options.texts} does not exist; pass --texts FILE.jsonl")
    others = [m.name for m in models if m.spec.kind != "lm"]
    if others:
        raise RunError(
            f"--texts runs text language models only; {', '.join(others)} read images: "
            "run them without --texts, or choose --models lm"
        )


def load_lm(model: ResolvedModel, device: torch.device, dtype: torch.dtype) -> CausalLm:
    adapter = model.spec.adapter
    assert issubclass(adapter, CausalLm)
    random = model.weights == "random"
    source = model.config_source if Path(model.config_source).is_dir() and not random else model.checkpoint
    try:
        tokenizer = load_tokenizer(source, random=random, vocab_size=int(model.config.vocab_size))
        if random:
            lm = adapter.random(model.config, tokenizer)
        else:
            lm = adapter.pretrained(model.checkpoint, model.config, tokenizer)
    except (OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelLoadError(
            f"cannot load '{model.name}' from {model.checkpoint} ({reason}); point --checkpoint "
            f"{model.name}=DIR at a local copy, or run with --weights random"
        ) from error
    model._with_adapter(lm)  # a variant's PEFT adapter (--adapter NAME=...)
    return lm.to(device, dtype)


def lm_attrs(
    model: ResolvedModel,
    options: RunOptions,
    *,
    family: str | None = None,
    extra: dict[str, Any] | None = None,
) -> LmAttrs:
    """A texts group's attrs: the model's language model (a causal LM's own config, a VLM's text
    config) and how its rows are kept; `family` defaults to the adapter's."""
    config = model.config.get_text_config()
    heads = int(config.num_attention_heads)
    return LmAttrs(
        key=model.name,
        family=family or model.spec.adapter.family,
        checkpoint=model.checkpoint,
        weights=model.weights,
        layers=int(config.num_hidden_layers),
        heads=heads,
        kv_heads=int(getattr(config, "num_key_value_heads", None) or heads),
        context=int(getattr(config, "max_position_embeddings", 0) or 2**31 - 1),
        per_head=options.per_head,
        keep_mass=options.keep_mass,
        max_keys=options.max_keys,
        base_key=model.spec.key,
        adapter=None if model.adapter is None else model.adapter.record(),
        extra=extra or {},
    )


def tokenize(lm: CausalLm, text: TextInput, generate: int) -> tuple[TokenizedText, int]:
    """The text's tokens (with `generate` greedy ones after it) and how many were generated."""
    tokenizer = lm.tokenizer
    if text.messages is None:
        assert text.text is not None
        tokens = tokenize_plain(tokenizer, text.text)
        role, message = "text", -1
    else:
        messages = list(text.messages)
        if generate:  # the model answers the last user message
            last_user = max(
                (i for i, m in enumerate(messages) if m["role"] == "user"), default=len(messages) - 1
            )
            messages = messages[: last_user + 1]
        tokens = tokenize_chat(tokenizer, messages, add_generation_prompt=bool(generate))
        role, message = "assistant", len(messages)
    if generate and len(tokens) <= lm.context:
        new = lm.generate(tokens.ids, min(generate, lm.context - len(tokens)))
        tokens.extend(new, decoded(tokenizer, new), role, message)
        return tokens, len(new)
    return tokens, 0


def write_text(
    lm: CausalLm,
    attrs: LmAttrs,
    text: TextInput,
    tokens: TokenizedText,
    n_generated: int,
    digest: str,
    store: TextStoreWriter,
    options: RunOptions,
) -> TextAttrs:
    """Capture one text and write it whole (its tokens, every layer, its statistics)."""
    n = len(tokens)
    text_attrs = TextAttrs(
        text.text_id, text.category, n, n_generated, overview_block(n), attrs.slots, digest
    )
    node = store.begin_text(
        attrs, text_attrs, ids=tokens.ids, texts=tokens.texts, roles=tokens.roles, messages=tokens.messages
    )
    stats: list[np.ndarray] = []

    def on_layer(layer: int, rows: TextLayer) -> None:
        store.write_layer(node, text_attrs, layer, rows)
        stats.append(np.asarray(rows.stats))

    device = next(lm.model.parameters()).device
    ids = torch.tensor([tokens.ids], device=device)
    recorder = TextRecorder(
        lm.attention_modules(),
        ids,
        on_layer,
        keep_mass=attrs.keep_mass,
        max_keys=attrs.max_keys,
        per_head=attrs.per_head,
        block=text_attrs.overview_block,
        query_chunk_bytes=options.query_chunk_mb * 2**20 * 4,
    )
    with torch.no_grad(), recorder.recording():
        lm.model.get_decoder()(input_ids=ids, use_cache=False)  # no LM head: N × vocab logits are not needed
    store.finish_text(node, attrs, text_attrs, np.stack(stats))
    return text_attrs


def run_lm(
    model: ResolvedModel,
    inputs: list[TextInput],
    options: RunOptions,
    store: TextStoreWriter,
    catalog: CatalogWriter,
    device: torch.device,
    dtype: torch.dtype,
    progress: Progress | None,
) -> tuple[ModelSummary, list[BadLine]]:
    summary = ModelSummary(model.name, unit="tok")
    started = time.perf_counter()
    attrs = lm_attrs(model, options)
    existing = store.existing_attrs(model.name)
    same = existing is not None and existing.kind == attrs.kind and existing.identity() == attrs.identity()
    rebuild = options.force or existing is None or (not same and not catalog.text_digests(model.name))
    if rebuild:
        catalog.drop_texts(model.name)
    store.prepare_lm(attrs, rebuild=rebuild)  # StoreError when built with other settings (then --force)
    suffix = f"|generate={options.generate}"
    written = catalog.text_digests(model.name)
    pending = []
    for text in inputs:
        found = store.text_attrs(model.name, text.text_id)
        digest = text.digest + suffix
        if written.get(text.text_id) == digest and found is not None and found.digest == digest:
            summary.already_done += 1
        else:
            pending.append(text)
    too_long: list[BadLine] = []
    if not pending:
        catalog.close_stale_runs(model.name)
        return summary, too_long
    lm = load_lm(model, device, dtype)
    summary.load_seconds = time.perf_counter() - started
    bytes_before = 0 if rebuild else (store.group_bytes(model.name) or 0)
    params = {**run_params(options, device, dtype), "texts": str(options.texts), "generate": options.generate}
    with RunLedger(catalog, store, model, params, summary, started, bytes_before) as run_id:
        bar = progress(model.name, len(pending)) if progress else None
        try:
            for index, text in enumerate(pending):
                tokens, n_generated = tokenize(lm, text, options.generate)
                if not len(tokens) or len(tokens) > lm.context:
                    why = (
                        "no tokens"
                        if not len(tokens)
                        else f"{len(tokens)} tokens, longer than {model.name}'s context of {lm.context}"
                    )
                    too_long.append(BadLine(text.line, why))
                    summary.failed.append((f"line {text.line} ({text.text_id})", why))
                else:
                    digest = text.digest + suffix
                    write_text(lm, attrs, text, tokens, n_generated, digest, store, options)
                    fault("kill-after-write", index)
                    catalog.add_text(
                        model.name,
                        text.text_id,
                        category=text.category,
                        n_tokens=len(tokens),
                        n_generated=n_generated,
                        content=text.content,
                        digest=digest,
                        run_id=run_id,
                    )
                    summary.done += 1
                    summary.tokens += len(tokens)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
    return summary, too_long


def run_texts(options: RunOptions, progress: Progress | None = None) -> RunReport:
    """Every chosen text model over the texts file. Raises RunError and the like on bad input."""
    models = resolve_models(options)
    validate_texts(options, models)
    assert options.texts is not None
    device = pick_device(options.device)
    dtype = pick_dtype(options.dtype, device)
    inputs, bad = read_texts(options.texts)
    if not inputs:
        raise RunError(f"no usable text in {options.texts}" + (f" ({bad[0]})" if bad else ""))
    catalog, plain_store = open_outputs(options, [model.name for model in models])
    store = TextStoreWriter(plain_store.url)
    report = RunReport([], [])
    report.notes += [f"skipped {options.texts} {line}" for line in bad]
    try:
        for model in models:
            with store.model_lock(model.name):
                summary, skipped = run_lm(model, inputs, options, store, catalog, device, dtype, progress)
            report.notes += [f"skipped {options.texts} {line}" for line in skipped]
            report.notes.append(
                f"{model.name}: {summary.done} texts ({summary.tokens} tokens) in {summary.seconds:.1f} s, "
                f"{summary.already_done} already done, {len(summary.failed)} failed, "
                f"{size(summary.bytes_written)} written"
            )
        store.consolidate()
    finally:
        catalog.close()
    return report
