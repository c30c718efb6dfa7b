"""The model registry: short key → default checkpoint and adapter family; and loading."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import AutoConfig, PretrainedConfig

from ssl_attention.models.base import Normalization, VisionAdapter
from ssl_attention.models.clip import ClipAdapter
from ssl_attention.models.dinov2 import Dinov2Adapter
from ssl_attention.models.dinov3 import Dinov3Adapter
from ssl_attention.models.mae import MaeAdapter
from ssl_attention.models.qwen_vl import (
    QWEN_SPECIAL_TOKENS,
    Qwen3VLAdapter,
    Qwen25VLAdapter,
    QwenVLAdapter,
    byte_level_tokenizer,
    check_tokenizer,
    load_image_processor,
    load_tokenizer,
)
from ssl_attention.models.siglip import SiglipAdapter

SHIPPED_CONFIGS = Path(__file__).parent / "configs"
WEIGHTS = ("pretrained", "random")


@dataclass(frozen=True)
class ModelSpec:
    key: str
    default_checkpoint: str
    adapter: type[VisionAdapter] | type[QwenVLAdapter]
    kind: str  # a row of ssl_attention.kinds.KINDS

    @property
    def is_vlm(self) -> bool:
        return self.kind == "vlm"


REGISTRY: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec("dinov2", "facebook/dinov2-with-registers-base", Dinov2Adapter, "vit"),
        ModelSpec("dinov3", "facebook/dinov3-vitb16-pretrain-lvd1689m", Dinov3Adapter, "vit"),
        ModelSpec("mae", "facebook/vit-mae-base", MaeAdapter, "vit"),
        ModelSpec("clip", "openai/clip-vit-base-patch16", ClipAdapter, "vit"),
        ModelSpec("siglip", "google/siglip-base-patch16-224", SiglipAdapter, "vit"),
        ModelSpec("siglip2", "google/siglip2-base-patch16-224", SiglipAdapter, "vit"),
        ModelSpec("qwen2_5_vl", "Qwen/Qwen2.5-VL-3B-Instruct", Qwen25VLAdapter, "vlm"),
        ModelSpec("qwen3_vl", "Qwen/Qwen3-VL-2B-Instruct", Qwen3VLAdapter, "vlm"),
    )
}


class ModelLoadError(RuntimeError):
    """A model cannot be resolved or loaded; the message says what to do."""


def resolve_keys(selection: str) -> list[str]:
    """`all`, a group (`vit`, `vlm`), or a comma-separated list of keys, in registry order."""
    chosen: set[str] = set()
    for word in (w.strip() for w in selection.split(",")):
        if not word:
            continue
        if word == "all":
            chosen.update(REGISTRY)
        elif word in {spec.kind for spec in REGISTRY.values()}:
            chosen.update(k for k, spec in REGISTRY.items() if spec.kind == word)
        elif word in REGISTRY:
            chosen.add(word)
        else:
            groups = sorted({spec.kind for spec in REGISTRY.values()})
            raise ModelLoadError(
                f"unknown model '{word}'; choose from {', '.join(REGISTRY)}, or all, or a group ({', '.join(groups)})"
            )
    if not chosen:
        raise ModelLoadError(f"no model selected; choose from {', '.join(REGISTRY)} or all")
    return [k for k in REGISTRY if k in chosen]


def parse_checkpoint_overrides(values: list[str]) -> dict[str, str]:
    """`KEY=HF_ID_OR_DIR` pairs from `--checkpoint`."""
    overrides: dict[str, str] = {}
    for value in values:
        key, sep, target = value.partition("=")
        key, target = key.strip(), target.strip()
        if not sep or not key or not target:
            raise ModelLoadError(f"--checkpoint takes KEY=HF_ID_OR_DIR, got '{value}'")
        if key not in REGISTRY:
            raise ModelLoadError(
                f"--checkpoint names unknown model '{key}'; choose from {', '.join(REGISTRY)}"
            )
        overrides[key] = target
    return overrides


@dataclass(frozen=True)
class ResolvedModel:
    """A key's checkpoint and config, before any weights are loaded (cheap: used to validate flags)."""

    spec: ModelSpec
    checkpoint: str
    weights: str
    config: PretrainedConfig
    normalization: Normalization
    config_source: str  # folder or hub id the config (and a VLM's processor files) come from

    @property
    def patch_size(self) -> int:
        if self.spec.is_vlm:
            return int(self.config.vision_config.patch_size)
        adapter = self.spec.adapter
        assert issubclass(adapter, VisionAdapter)
        return int(adapter.vision_config(self.config).patch_size)

    def load(self, **from_pretrained_kwargs: Any) -> VisionAdapter:
        adapter = self.spec.adapter
        assert issubclass(adapter, VisionAdapter), f"{self.spec.key} is a VLM: use load_vlm()"
        if self.weights == "random":
            return adapter.random(self.config, self.normalization)
        try:
            return adapter.pretrained(
                self.checkpoint, self.config, self.normalization, **from_pretrained_kwargs
            )
        except (OSError, ValueError) as error:
            raise ModelLoadError(_unreachable(self.spec.key, self.checkpoint, error)) from error

    def load_vlm(self, **from_pretrained_kwargs: Any) -> QwenVLAdapter:
        """A VLM with its image processor and tokenizer. Random weights without a reachable
        tokenizer get a byte-level stand-in (the maps of a random model carry no meaning anyway)."""
        adapter = self.spec.adapter
        assert issubclass(adapter, QwenVLAdapter), f"{self.spec.key} is not a VLM: use load()"
        key, source = self.spec.key, self.config_source
        try:
            image_processor = load_image_processor(source)
        except (OSError, ValueError) as error:
            raise ModelLoadError(_unreachable(key, self.checkpoint, error)) from error
        try:
            # Random weights never wait on the network for a tokenizer: the local copy or the cache.
            tokenizer = load_tokenizer(self.checkpoint, local_files_only=self.weights == "random")
            check_tokenizer(tokenizer)
        except (OSError, ValueError) as error:
            if self.weights != "random":
                raise ModelLoadError(_unreachable(key, self.checkpoint, error)) from error
            tokenizer = byte_level_tokenizer(_special_tokens(self.config))
        try:
            if self.weights == "random":
                return adapter.random(self.config, image_processor, tokenizer)
            return adapter.pretrained(
                self.checkpoint, self.config, image_processor, tokenizer, **from_pretrained_kwargs
            )
        except (OSError, ValueError) as error:
            raise ModelLoadError(_unreachable(key, self.checkpoint, error)) from error


def _special_tokens(config: PretrainedConfig) -> dict[str, int]:
    """The chat markers at the ids this config uses (image and vision markers come from the config)."""
    tokens = {
        "<|image_pad|>": int(config.image_token_id),
        "<|vision_start|>": int(config.vision_start_token_id),
        "<|vision_end|>": int(config.vision_end_token_id),
    }
    vocab = int(config.get_text_config().vocab_size)
    free = (i for i in range(vocab - 1, 255, -1) if i not in tokens.values())
    for name, default in QWEN_SPECIAL_TOKENS.items():
        if name not in tokens:  # Qwen's own id where the vocabulary has it, else a free id at its top
            tokens[name] = default if default < vocab else next(free)
    return tokens


def _unreachable(key: str, checkpoint: str, error: Exception) -> str:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (
        f"cannot load pretrained weights for '{key}' from {checkpoint} ({reason}); "
        f"connect to the Hugging Face hub or fill its cache, point --checkpoint {key}=DIR at a local copy, "
        "or run with --weights random"
    )


def _read_normalization(folder: Path) -> Normalization | None:
    path = folder / "preprocessor_config.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    mean, std = data.get("image_mean"), data.get("image_std")
    if not (isinstance(mean, list) and isinstance(std, list) and len(mean) == 3 and len(std) == 3):
        return None
    return Normalization(tuple(float(v) for v in mean), tuple(float(v) for v in std))  # type: ignore[arg-type]


def _hub_normalization(checkpoint: str) -> Normalization | None:
    try:
        from huggingface_hub import hf_hub_download

        return _read_normalization(Path(hf_hub_download(checkpoint, "preprocessor_config.json")).parent)
    except Exception:  # offline, gated or absent: the family's defaults apply
        return None


def resolve_model(key: str, checkpoint: str | None = None, weights: str = "pretrained") -> ResolvedModel:
    """Find a key's config and normalisation. Offline with `weights="random"` for every default key."""
    if key not in REGISTRY:
        raise ModelLoadError(f"unknown model '{key}'; choose from {', '.join(REGISTRY)}")
    if weights not in WEIGHTS:
        raise ModelLoadError(f"--weights must be one of {', '.join(WEIGHTS)}, got '{weights}'")
    spec = REGISTRY[key]
    target = checkpoint or spec.default_checkpoint
    local = Path(target).expanduser()
    shipped = SHIPPED_CONFIGS / key
    if local.is_dir():
        config_folder: Path | str = local
    elif Path(target).is_absolute() or target.startswith((".", "~")):
        raise ModelLoadError(
            f"checkpoint folder {target} for '{key}' does not exist; pass --checkpoint {key}=DIR"
        )
    elif weights == "random" and target == spec.default_checkpoint:
        config_folder = shipped
    else:
        config_folder = target
    try:
        config = AutoConfig.from_pretrained(str(config_folder))
    except (OSError, ValueError) as error:
        if weights == "random":
            raise ModelLoadError(
                f"cannot read the config of {target} for '{key}' ({str(error).splitlines()[0]}); "
                f"point --checkpoint {key}=DIR at a folder with its config.json"
            ) from error
        raise ModelLoadError(_unreachable(key, target, error)) from error
    if isinstance(config_folder, Path):
        normalization = _read_normalization(config_folder)
    else:
        normalization = _hub_normalization(target) or (
            _read_normalization(shipped) if target == spec.default_checkpoint else None
        )
    adapter = spec.adapter
    if issubclass(adapter, VisionAdapter):
        model_type = adapter.vision_config(config).model_type
        default_normalization = adapter.default_normalization
    else:
        model_type = config.model_type
        default_normalization = Normalization(
            (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
        )  # unused: the processor normalises
    if model_type not in adapter.model_classes:
        raise ModelLoadError(
            f"{target} is a '{config.model_type}' model; '{key}' takes {', '.join(adapter.model_classes)} checkpoints"
        )
    return ResolvedModel(
        spec, target, weights, config, normalization or default_normalization, str(config_folder)
    )
