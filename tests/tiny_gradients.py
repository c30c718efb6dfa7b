"""Tiny random checkpoints for gradrollout: a full CLIP (text tower, projections) with a tokenizer
saved by save_pretrained, and a ViT with a classification head — folders like a user's."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import transformers as T
from tokenizers import Tokenizer, models, pre_tokenizers, processors

from tests.tiny_models import NORMALIZATION, PATCH

BOS, EOS, PAD = 0, 98, 1
WORDS = ["a", "photo", "of", "cat", "dog", "the", "sky"]


def tiny_tokenizer() -> T.PreTrainedTokenizerFast:
    """Whitespace words -> ids, between <bos> and <eos> (as CLIP's tokenizer frames a prompt)."""
    vocab = {"<bos>": BOS, "<pad>": PAD, "<unk>": 2, "<eos>": EOS} | {w: 10 + i for i, w in enumerate(WORDS)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>", special_tokens=[("<bos>", BOS), ("<eos>", EOS)]
    )
    return T.PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>"
    )


def _sharpen(model: torch.nn.Module) -> None:
    with torch.no_grad():  # random init gives near-uniform attention
        for name, param in model.named_parameters():
            if any(part in name for part in ("q_proj.weight", "k_proj.weight", "query.weight", "key.weight")):
                param.mul_(4.0)


def save_tiny_clip(folder: Path, image_size: int = 16) -> Path:
    config = T.CLIPConfig(
        text_config=dict(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, vocab_size=99,
            max_position_embeddings=16, bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD,
        ),
        vision_config=dict(
            hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64,
            image_size=image_size, patch_size=PATCH,
        ),
        projection_dim=16,
    )  # fmt: skip
    torch.manual_seed(21)
    model = T.CLIPModel(config)
    _sharpen(model)
    model.save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps(NORMALIZATION))
    return folder


def save_tiny_vit_classifier(folder: Path, image_size: int = 16, classes: int = 5) -> Path:
    config = T.ViTConfig(
        hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64,
        image_size=image_size, patch_size=PATCH, num_labels=classes,
    )  # fmt: skip
    torch.manual_seed(22)
    model = T.ViTForImageClassification(config)
    _sharpen(model)
    model.save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps(NORMALIZATION))
    return folder
