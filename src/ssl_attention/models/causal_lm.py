"""Causal language models (kind `lm`): any Hugging Face `AutoModelForCausalLM` with its tokenizer.

Token layout: one sequence, no prefix tokens; each decoder layer's `self_attn` is watched through
the `ssl_capture` backend (`attention/text.py`): grouped-query key heads are expanded, RoPE is
already applied to q and k, and each layer's own mask (causal, or a sliding window) is used.

`--weights random` builds the architecture from the shipped config (`models/configs/<key>`) and
uses the checkpoint's tokenizer when it is on disk or in the cache, else a byte-level stand-in with a
ChatML chat template (a random model's attention carries no meaning anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import AutoModelForCausalLM, AutoTokenizer, PretrainedConfig, PreTrainedModel
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_CAUSAL_LM_MAPPING,
    MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
)
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION
from ssl_attention.models.qwen_vl import byte_level_tokenizer

CHATML_TEMPLATE = (
    "{%- for m in messages -%}"
    "<|im_start|>{{ m['role'] }}\n"
    "{%- if m['content'] %}{{ m['content'] }}{% endif -%}"
    "{%- if m['tool_calls'] %}{% for c in m['tool_calls'] %}\n<tool_call>\n"
    "{{ (c['function'] if c['function'] is defined else c) | tojson }}\n</tool_call>{% endfor %}{% endif -%}"
    "<|im_end|>\n"
    "{%- endfor -%}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif -%}"
)
CHAT_MARKERS = ("<|im_start|>", "<|im_end|>", "<|endoftext|>")


def stand_in_tokenizer(vocab_size: int) -> PreTrainedTokenizerBase:
    """One token per UTF-8 byte plus the ChatML markers at the top of the vocabulary, with a ChatML
    template (tool calls as `<tool_call>` JSON)."""
    special = {name: vocab_size - 1 - i for i, name in enumerate(CHAT_MARKERS)}
    tokenizer = byte_level_tokenizer(special)
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


class CausalLm:
    """A loaded causal LM, its tokenizer, and where its attention lives."""

    family: ClassVar[str] = "causal_lm"
    model_classes: ClassVar[Mapping[str, Any]] = MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer

    @staticmethod
    def model_class(config: PretrainedConfig) -> Any:
        return MODEL_FOR_CAUSAL_LM_MAPPING[type(config)]

    @classmethod
    def random(cls, config: PretrainedConfig, tokenizer: PreTrainedTokenizerBase) -> CausalLm:
        model = cls.model_class(config)._from_config(config, attn_implementation=CAPTURE_IMPLEMENTATION)
        return cls(model, tokenizer)

    @classmethod
    def pretrained(
        cls, checkpoint: str, config: PretrainedConfig, tokenizer: PreTrainedTokenizerBase, **kwargs: Any
    ) -> CausalLm:
        model = AutoModelForCausalLM.from_pretrained(
            checkpoint, config=config, attn_implementation=CAPTURE_IMPLEMENTATION, **kwargs
        )
        return cls(model, tokenizer)

    @property
    def config(self) -> PretrainedConfig:
        return self.model.config

    @property
    def n_layers(self) -> int:
        return int(self.config.num_hidden_layers)

    @property
    def n_heads(self) -> int:
        return int(self.config.num_attention_heads)

    @property
    def n_kv_heads(self) -> int:
        return int(getattr(self.config, "num_key_value_heads", None) or self.n_heads)

    @property
    def context(self) -> int:
        return int(getattr(self.config, "max_position_embeddings", 0) or 2**31 - 1)

    def attention_modules(self) -> list[nn.Module]:
        """Each decoder layer's self-attention, in order."""
        layers = self.model.get_decoder().layers
        return [layer.self_attn for layer in layers]

    def to(self, device: torch.device, dtype: torch.dtype) -> CausalLm:
        self.model.to(device=device, dtype=dtype)
        return self

    @torch.no_grad()
    def generate(self, ids: list[int], max_new_tokens: int) -> list[int]:
        """Greedy continuation of `ids` (stops at the end-of-sequence token): the new ids."""
        if max_new_tokens <= 0:
            return []
        device = next(self.model.parameters()).device
        inputs = torch.tensor([ids], device=device)
        eos = (
            self.tokenizer.eos_token_id
            if self.tokenizer.eos_token_id is not None
            else self.config.eos_token_id
        )
        out = self.model.generate(
            inputs,
            attention_mask=torch.ones_like(inputs),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=eos,
            pad_token_id=eos if eos is not None else 0,
        )
        return [int(i) for i in out[0, len(ids) :]]


class Qwen3Lm(CausalLm):
    family = "qwen3"
    model_classes: ClassVar[Mapping[str, Any]] = {"qwen3": "Qwen3ForCausalLM"}


class SmolLm2(CausalLm):
    family = "llama"
    model_classes: ClassVar[Mapping[str, Any]] = {"llama": "LlamaForCausalLM"}


def load_tokenizer(source: str, *, random: bool, vocab_size: int) -> PreTrainedTokenizerBase:
    """The checkpoint's tokenizer (OSError/ValueError when it cannot be had); with random weights the
    local copy or cache only, else the byte-level stand-in. A tokenizer without a chat template
    gets the ChatML one."""
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=random)
        if not tokenizer("hello", add_special_tokens=False)["input_ids"]:  # a folder without vocabulary files
            raise ValueError(f"the tokenizer of {source} has no vocabulary")
    except (OSError, ValueError):
        if not random:
            raise
        return stand_in_tokenizer(vocab_size)
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer
