"""Qwen2.5-VL and Qwen3-VL: a ViT (patch 14 / 16) whose patches are merged 2×2 into the image
tokens of a causal language model.

Language-model sequence for one image and one prompt (Qwen's chat format):

    [<|im_start|>system … <|im_end|>\\n]           Qwen2.5-VL only (its default system prompt)
    <|im_start|>user\\n<|vision_start|>
    <|image_pad|> × N                             N = (grid_h / m)·(grid_w / m), m = spatial merge (2);
                                                  raster order of the merged grid
    <|vision_end|> {prompt} <|im_end|>\\n<|im_start|>assistant\\n
    {answer}                                      generated, greedy

Image tokens are found by id (`config.image_token_id`) between the vision start/end markers,
never by count. The grid comes from the processor's `image_grid_thw` (dynamic resolution: the
image keeps its aspect ratio, resized so its pixel count lies in [min_pixels, max_pixels]).

Vision-tower sequence: grid_h·grid_w patches in the processor's merge-block order
(t, h/m, w/m, m, m) — the m×m patches of one image token are consecutive. Qwen2.5-VL then
permutes the merge blocks into windows (`window_size` pixels) for its windowed blocks and
permutes them back after the merger; `vision_raster_order` undoes both for the stored maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from PIL import Image
from torch import nn
from transformers import (
    AutoImageProcessor,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Qwen2_5_VLForConditionalGeneration,
    Qwen3VLForConditionalGeneration,
)
from transformers.vision_utils import get_vision_window_index

from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION

# Qwen2/Qwen3 tokenizer ids of the chat markers (the same in both families).
QWEN_SPECIAL_TOKENS = {
    "<|endoftext|>": 151643,
    "<|im_start|>": 151644,
    "<|im_end|>": 151645,
    "<|vision_start|>": 151652,
    "<|vision_end|>": 151653,
    "<|image_pad|>": 151655,
}

DEFAULT_PROMPT = "Describe this image."
DEFAULT_MIN_PIXELS = 56 * 56
DEFAULT_MAX_PIXELS = 448 * 448  # ≤ 1024 patches, 256 image tokens (Qwen's own default is 12.8 M pixels)


@dataclass(frozen=True)
class VlmInputs:
    """One image and one prompt, ready for the model; positions are in the sequence."""

    input_ids: torch.Tensor  # (1, S) long
    pixel_values: torch.Tensor  # (patches, C·t·p·p), the processor's patch order
    image_grid_thw: torch.Tensor  # (1, 3) long: t, grid_h, grid_w (pre-merge)
    image_tokens: tuple[int, int]  # [start, stop) of the image tokens
    prompt_tokens: tuple[int, int]  # [start, stop) of the user's prompt text
    grid: tuple[int, int]  # merged grid (rows, columns) of the image tokens
    vision_grid: tuple[int, int]  # patch grid of the vision tower
    resized: tuple[int, int]  # (height, width) in pixels the model saw

    @property
    def length(self) -> int:
        return int(self.input_ids.shape[1])

    def token_types(self, extra: int = 0) -> torch.Tensor:
        """`mm_token_type_ids`: 1 on image tokens, 0 on text (M-RoPE positions need it), for
        the sequence plus `extra` answer tokens."""
        types = torch.zeros(1, self.length + extra, dtype=torch.long)
        types[0, self.image_tokens[0] : self.image_tokens[1]] = 1
        return types


def image_token_span(ids: list[int], image_id: int, start_id: int, end_id: int) -> tuple[int, int]:
    """[start, stop) of the image tokens, found by id: one run, right after the vision-start marker
    and right before the vision-end marker (anything else is not a one-image Qwen-VL sequence)."""
    positions = [i for i, token in enumerate(ids) if token == image_id]
    if not positions:
        raise ValueError("no image token in the sequence")
    start, stop = positions[0], positions[-1] + 1
    if len(positions) != stop - start:
        raise ValueError("the image tokens are not one contiguous run")
    if start == 0 or ids[start - 1] != start_id or stop == len(ids) or ids[stop] != end_id:
        raise ValueError("the image tokens are not between the vision start and end markers")
    return start, stop


def byte_level_tokenizer(special_tokens: dict[str, int]) -> PreTrainedTokenizerBase:
    """A stand-in tokenizer (one token per UTF-8 byte, plus the chat markers at the given ids).

    Used for random weights when the real tokenizer cannot be had (offline), and by the tests'
    tiny checkpoints. Prompts round-trip; generated ids outside the byte range show as ⟨id⟩.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {symbol: index for index, symbol in enumerate(alphabet)}
    vocab.update(special_tokens)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens([AddedToken(name, special=True, normalized=False) for name in special_tokens])
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )


class QwenVLAdapter:
    """One Qwen-VL family: loading, the chat sequence, generation, and where attention lives."""

    family: ClassVar[str]
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]]
    system_prompt: ClassVar[str | None] = None

    def __init__(
        self, model: PreTrainedModel, image_processor: Any, tokenizer: PreTrainedTokenizerBase
    ) -> None:
        self.model = model.eval()
        self.image_processor = image_processor
        self.tokenizer = tokenizer
        self._special = check_tokenizer(tokenizer)
        config = self.config
        if self._special["<|image_pad|>"] != config.image_token_id:
            raise ValueError(
                f"the tokenizer's <|image_pad|> is id {self._special['<|image_pad|>']}, "
                f"the model's image_token_id is {config.image_token_id}"
            )

    # --- loading ------------------------------------------------------------------------------

    @classmethod
    def model_class(cls, config: PretrainedConfig) -> type[PreTrainedModel]:
        return cls.model_classes[config.model_type]

    @classmethod
    def random(
        cls, config: PretrainedConfig, image_processor: Any, tokenizer: PreTrainedTokenizerBase, seed: int = 0
    ) -> QwenVLAdapter:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = cls.model_class(config)._from_config(config, attn_implementation=CAPTURE_IMPLEMENTATION)
        return cls(model, image_processor, tokenizer)

    @classmethod
    def pretrained(
        cls,
        checkpoint: str,
        config: PretrainedConfig,
        image_processor: Any,
        tokenizer: PreTrainedTokenizerBase,
        **kwargs: Any,
    ) -> QwenVLAdapter:
        model = cls.model_class(config).from_pretrained(
            checkpoint, config=config, attn_implementation=CAPTURE_IMPLEMENTATION, **kwargs
        )
        return cls(model, image_processor, tokenizer)

    # --- facts --------------------------------------------------------------------------------

    @property
    def config(self) -> PretrainedConfig:
        return self.model.config

    @property
    def text_config(self) -> PretrainedConfig:
        return self.config.get_text_config()

    @property
    def vision_config(self) -> PretrainedConfig:
        return self.config.vision_config

    @property
    def n_layers(self) -> int:
        return int(self.text_config.num_hidden_layers)

    @property
    def n_heads(self) -> int:
        return int(self.text_config.num_attention_heads)

    @property
    def vision_layers(self) -> int:
        return int(self.vision_config.depth)

    @property
    def vision_heads(self) -> int:
        return int(self.vision_config.num_heads)

    @property
    def patch_size(self) -> int:
        return int(self.vision_config.patch_size)

    @property
    def merge(self) -> int:
        return int(self.vision_config.spatial_merge_size)

    def language_attention_modules(self) -> list[nn.Module]:
        return [layer.self_attn for layer in self.model.model.language_model.layers]

    def vision_attention_modules(self) -> list[nn.Module]:
        return [block.attn for block in self.model.model.visual.blocks]

    # --- the sequence -------------------------------------------------------------------------

    def _encode(self, text: str) -> list[int]:
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def prepare(self, image: Image.Image, prompt: str, *, min_pixels: int, max_pixels: int) -> VlmInputs:
        processed = self.image_processor(
            images=[image.convert("RGB")],
            size={"shortest_edge": min_pixels, "longest_edge": max_pixels},
            return_tensors="pt",
        )
        grid_thw = processed["image_grid_thw"]
        t, grid_h, grid_w = (int(v) for v in grid_thw[0])
        m = self.merge
        n_image = t * (grid_h // m) * (grid_w // m)

        head = ""
        if self.system_prompt is not None:
            head += f"<|im_start|>system\n{self.system_prompt}<|im_end|>\n"
        head += "<|im_start|>user\n<|vision_start|>"
        before = self._encode(head)
        after_image = self._encode("<|vision_end|>")
        prompt_ids = self._encode(prompt)
        tail = self._encode("<|im_end|>\n<|im_start|>assistant\n")
        image_id = int(self.config.image_token_id)
        ids = [*before, *([image_id] * n_image), *after_image, *prompt_ids, *tail]

        config = self.config
        image_tokens = image_token_span(
            ids, image_id, int(config.vision_start_token_id), int(config.vision_end_token_id)
        )
        if image_tokens[1] - image_tokens[0] != n_image:
            raise ValueError(
                f"{image_tokens[1] - image_tokens[0]} image tokens in the sequence, the grid needs {n_image}"
            )
        prompt_start = image_tokens[1] + len(after_image)
        return VlmInputs(
            input_ids=torch.tensor([ids], dtype=torch.long),
            pixel_values=processed["pixel_values"],
            image_grid_thw=grid_thw,
            image_tokens=image_tokens,
            prompt_tokens=(prompt_start, prompt_start + len(prompt_ids)),
            grid=(grid_h // m, grid_w // m),
            vision_grid=(grid_h, grid_w),
            resized=(grid_h * self.patch_size, grid_w * self.patch_size),
        )

    def vision_token_ids(self) -> list[int]:
        config = self.config
        names = ("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id")
        return [int(getattr(config, name)) for name in names if getattr(config, name, None) is not None]

    def stop_ids(self) -> list[int]:
        return [self._special["<|im_end|>"], self._special["<|endoftext|>"]]

    @torch.inference_mode()
    def generate(self, inputs: VlmInputs, max_new_tokens: int, *, feed_last: bool = False) -> list[int]:
        """Greedy answer ids (stop token included when reached).

        Every token the model reads goes through the attention backend once: the prompt in the
        first (prefill) pass, each answer token in the step after it was chosen. With
        `feed_last`, the last answer token is read too (one more cached step), so an active
        recorder sees every position; without a recorder this is plain sdpa generation."""
        if max_new_tokens == 0:
            if feed_last:
                self.forward(inputs, [])
            return []
        device = self.model.device
        ids = inputs.input_ids.to(device)
        output = self.model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            mm_token_type_ids=inputs.token_types().to(device),
            pixel_values=inputs.pixel_values.to(device, self.model.dtype),
            image_grid_thw=inputs.image_grid_thw.to(device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            eos_token_id=self.stop_ids(),
            pad_token_id=self._special["<|endoftext|>"],
            # An image placeholder or a vision marker in the answer would be read as a new image.
            suppress_tokens=self.vision_token_ids(),
            return_dict_in_generate=True,
        )
        answer: list[int] = output.sequences[0, ids.shape[1] :].tolist()
        if feed_last and answer:
            # Positions come from the cache length and the prompt's M-RoPE deltas, as in generate.
            self.model(
                input_ids=output.sequences[:, -1:],
                past_key_values=output.past_key_values,
                use_cache=True,
                logits_to_keep=1,
            )
        return answer

    def forward(self, inputs: VlmInputs, answer: list[int]) -> None:
        """One teacher-forced pass over prompt + answer (no cache). Causal attention makes its
        rows the attention each token had when generated: the reference `generate` is tested against."""
        device = self.model.device
        ids = torch.cat([inputs.input_ids, torch.tensor([answer], dtype=torch.long)], dim=1).to(device)
        self.model(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            mm_token_type_ids=inputs.token_types(len(answer)).to(device),
            pixel_values=inputs.pixel_values.to(device, self.model.dtype),
            image_grid_thw=inputs.image_grid_thw.to(device),
            logits_to_keep=1,  # no S × vocab logits
            use_cache=False,
        )

    def token_text(self, token_id: int) -> str:
        text = str(self.tokenizer.decode([token_id]))
        return text if text else f"⟨{token_id}⟩"

    # --- vision-tower token order -------------------------------------------------------------

    def merge_unit_order(self, grid_thw: torch.Tensor) -> torch.Tensor:
        """For each position of the vision tower's blocks, in units of m×m patches: which merge block."""
        t, grid_h, grid_w = (int(v) for v in grid_thw[0])
        return torch.arange(t * (grid_h // self.merge) * (grid_w // self.merge))

    def vision_raster_order(self, grid_thw: torch.Tensor) -> torch.Tensor:
        """(N,) long: the raster index (row·grid_w + column) of each vision-block sequence position."""
        _t, _grid_h, grid_w = (int(v) for v in grid_thw[0])
        m = self.merge
        units_w = grid_w // m
        unit = self.merge_unit_order(grid_thw).repeat_interleave(m * m)
        within = torch.arange(unit.numel()) % (m * m)
        row = (unit // units_w) * m + within // m
        column = (unit % units_w) * m + within % m
        return row * grid_w + column


class Qwen25VLAdapter(QwenVLAdapter):
    """Qwen2.5-VL: windowed vision blocks (full attention in `fullatt_block_indexes`)."""

    family = "qwen2_5_vl"
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]] = {
        "qwen2_5_vl": Qwen2_5_VLForConditionalGeneration
    }
    system_prompt = "You are a helpful assistant."

    def merge_unit_order(self, grid_thw: torch.Tensor) -> torch.Tensor:
        vision = self.vision_config
        window_index, _ = get_vision_window_index(
            grid_thw.cpu(),
            spatial_merge_size=self.merge,
            window_size=int(vision.window_size),
            patch_size=self.patch_size,
        )
        return window_index.long()


class Qwen3VLAdapter(QwenVLAdapter):
    """Qwen3-VL: every vision block attends globally; DeepStack features feed early LM layers."""

    family = "qwen3_vl"
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]] = {"qwen3_vl": Qwen3VLForConditionalGeneration}


def check_tokenizer(tokenizer: PreTrainedTokenizerBase) -> dict[str, int]:
    """The ids of the chat markers; ValueError when the tokenizer lacks one (not a Qwen-VL tokenizer)."""
    ids = {}
    for token in QWEN_SPECIAL_TOKENS:
        found = tokenizer.convert_tokens_to_ids(token)
        if not isinstance(found, int) or found == tokenizer.unk_token_id:
            raise ValueError(f"the tokenizer has no {token} token: not a Qwen-VL tokenizer")
        ids[token] = found
    return ids


# --- preprocessing and tokenizer --------------------------------------------------------------


def load_image_processor(source: str | Path) -> Any:
    """The checkpoint's image processor (falls back to the PIL implementation without torchvision)."""
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # the torchvision fallback notice is noise for our use
    try:
        return AutoImageProcessor.from_pretrained(str(source))
    finally:
        logging.set_verbosity(verbosity)


def load_tokenizer(source: str | Path, *, local_files_only: bool = False) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(str(source), local_files_only=local_files_only)
