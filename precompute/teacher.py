"""`--answer-from NAME`: the answers the other VLMs of a run are teacher-forced through.

VLM answers differ between models, so their answer tokens do not line up by themselves. With
`--answer-from NAME`, NAME runs first (free, greedy generation, as always); every other VLM of
the run then generates its own answer (kept as `own_answer`), and its maps are recorded from one
forward pass over the same token ids as NAME's (its prompt sequence + NAME's answer ids), so
every answer token of NAME has a pair in every model.

The plan of a forced model reads NAME's stored answer ids for each pending (image, prompt) from
NAME's group (`prompts/<k>` attrs: the tokens with role "answer") and puts them in the work
items, so a batch carries everything it needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from precompute.options import RunError, RunOptions
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.store.arrays import AttentionStoreReader
from ssl_attention.store.catalog import CatalogWriter, DiscoveredFile
from ssl_attention.store.layout import VlmAttrs, VlmPromptAttrs

Answers = dict[tuple[str, str], tuple[int, ...]]  # (image id, prompt) -> the teacher's answer ids


def forced_by(model: ResolvedModel, options: RunOptions) -> str | None:
    """The model whose answers `model` is teacher-forced through (None: it generates freely)."""
    teacher = options.answer_from
    return teacher if teacher is not None and teacher != model.name else None


def check_vocabularies(options: RunOptions, models: Sequence[ResolvedModel]) -> None:
    """Forced models read the teacher's token ids: they must share its vocabulary."""
    teacher = next((m for m in models if m.name == options.answer_from), None)
    if options.answer_from is None:
        return
    if teacher is None:
        raise RunError(f"--answer-from takes a VLM of the run; '{options.answer_from}' is not one")
    size = int(teacher.config.get_text_config().vocab_size)
    for model in models:
        other = int(model.config.get_text_config().vocab_size)
        if other != size:
            raise RunError(
                f"--answer-from {teacher.name}: '{model.name}' has a vocabulary of {other} tokens, "
                f"{teacher.name} of {size}; teacher-forcing needs models that share the tokenizer"
            )


def teacher_answers(
    teacher: str,
    attrs: VlmAttrs | None,
    work: Sequence[tuple[DiscoveredFile, tuple[str, ...]]],
    options: RunOptions,
    catalog: CatalogWriter,
) -> Answers:
    """The teacher's answer ids (`attrs`: its group's) for every pending (image, prompt) whose image
    is readable; RunError when the teacher has not answered one (it runs first in the same command)."""
    reader = AttentionStoreReader(options.store)
    done = catalog.done_samples(teacher)
    failed = catalog.failed_ids()
    answers: Answers = {}
    for file, prompts in work:
        if file.id in failed:
            continue  # unreadable: decoding fails again and says so
        row = catalog.row_of(file.id, teacher)
        for prompt in prompts:
            index = attrs.prompts.index(prompt) if attrs is not None and prompt in attrs.prompts else -1
            if row is None or attrs is None or (file.id, index) not in done:
                raise RunError(
                    f"--answer-from {teacher} has no answer for image {file.id} and prompt '{prompt}'; "
                    f"run {teacher} over it first (name it in --models)"
                )
            stored = VlmPromptAttrs.from_attrs(reader.group_attrs(teacher, attrs.prompt_path(row, index)))
            answers[(file.id, prompt)] = tuple(t.id for t in stored.tokens if t.role == "answer")
    return answers
