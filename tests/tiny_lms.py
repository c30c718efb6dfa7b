"""Tiny random causal LMs (Llama-, Qwen2- with sliding-window layers, Qwen3-style) saved with
save_pretrained beside a byte-level BPE tokenizer trained offline with the `tokenizers` library and
a ChatML chat template, like a user's checkpoint folder."""

from __future__ import annotations

from pathlib import Path

import torch
import transformers as T
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from ssl_attention.models.causal_lm import CHATML_TEMPLATE

CONTEXT = 256
WINDOW = 8  # the Qwen2-style model's sliding window
CORPUS = [
    "What is two plus two? Two plus two is four.",
    "The capital of France is Paris. Paris is in France.",
    "def add(a, b): return a + b",
    "Once upon a time a cat sat on a mat and the cat slept.",
    '{"name": "search", "arguments": {"query": "weather in Paris"}}',
] * 4


def tiny_tokenizer() -> T.PreTrainedTokenizerFast:
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    backend.train_from_iterator(CORPUS, trainer)
    tokenizer = T.PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def tiny_lm_configs(vocab: int) -> dict[str, T.PretrainedConfig]:
    common = dict(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=CONTEXT,
        eos_token_id=2,
        pad_token_id=0,
        tie_word_embeddings=False,
    )
    return {
        "llama": T.LlamaConfig(**common),
        # layers 1 and 2 attend within a window of WINDOW tokens
        "qwen2": T.Qwen2Config(**common, use_sliding_window=True, sliding_window=WINDOW, max_window_layers=1),
        "qwen3": T.Qwen3Config(**common, head_dim=8),
    }


def save_tiny_lms(folder: Path) -> dict[str, Path]:
    tokenizer = tiny_tokenizer()
    paths = {}
    for index, (name, config) in enumerate(tiny_lm_configs(len(tokenizer)).items()):
        torch.manual_seed(200 + index)
        model = T.AutoModelForCausalLM.from_config(config)
        with torch.no_grad():  # sharper attention than a random init's near-uniform softmax
            for param_name, param in model.named_parameters():
                if "q_proj.weight" in param_name or "k_proj.weight" in param_name:
                    param.mul_(6.0)
        target = folder / name
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)
        paths[name] = target
    return paths
