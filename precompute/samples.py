"""Bootstrap the sample gallery's store for `./dev.sh`: every ViT, per head, scored against the
sample boxes (`--metrics`), pretrained when possible. The VLMs (billions of parameters: slow on
a CPU, gigabytes to download) only with SSL_ATTENTION_SAMPLE_VLMS=1.

    python -m precompute.samples
    SSL_ATTENTION_SAMPLE_VLMS=1 python -m precompute.samples
    python -m precompute.samples --worker     the Ask worker `./dev.sh` starts beside the API

For each model whose maps are not complete yet: keep the weights it was started with; otherwise
take pretrained weights when the Hugging Face hub (or its cache) has them, and fall back to
`--weights random` with a plain message when it does not. Maps from random weights are marked
as such in the catalog, the API and the app.

Beside `dinov2` it stores the variant `dinov2-lora-demo`: the same weights with a small random
LoRA adapter (`precompute/sample_adapter.py`, saved in `adapters/` next to the store), so the
comparison views have a variant and its base on the first run. The sample texts
(`texts.jsonl` in the gallery) go through `sample-lm`, a tiny random text model, for the Texts section.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from precompute.cli import main as precompute
from precompute.sample_adapter import DEMO_BASE, DEMO_NAME, make_demo_adapter
from ssl_attention.models.registry import REGISTRY, SHIPPED_CONFIGS, ModelLoadError
from ssl_attention.settings import Settings
from ssl_attention.store.arrays import AttentionStoreWriter

HUB_PROBE_SECONDS = 5.0
VLMS_ENV = "SSL_ATTENTION_SAMPLE_VLMS"
SAMPLE_LM = "sample-lm"  # the tiny random text model over data/samples/texts.jsonl


def hub_reachable() -> bool:
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return False
    try:
        from huggingface_hub import model_info

        model_info(REGISTRY["dinov2"].default_checkpoint, timeout=HUB_PROBE_SECONDS)
        return True
    except Exception:
        return False


def main() -> int:
    settings = Settings.from_env()
    with_vlms = os.environ.get(VLMS_ENV) == "1"
    keys = [k for k, spec in REGISTRY.items() if spec.kind == "vit" or (with_vlms and spec.kind == "vlm")]
    existing = {}
    if os.path.exists(os.path.join(settings.store, "zarr.json")):
        writer = AttentionStoreWriter(settings.store)
        existing = {k: attrs.weights for k in keys if (attrs := writer.existing_attrs(k)) is not None}
    online = None
    status = 0
    used: dict[str, str] = {}
    for key in keys:
        weights = existing.get(key)
        if weights is None:
            if online is None:
                online = hub_reachable()
                if not online:
                    print(
                        "ssl-attention: the Hugging Face hub is not reachable, so pretrained weights cannot be "
                        "downloaded. The sample gallery is precomputed with --weights random: the maps come from "
                        "untrained models and are marked 'random' everywhere.",
                        file=sys.stderr,
                    )
                    os.environ["HF_HUB_OFFLINE"] = "1"
            weights = "pretrained" if online else "random"
        code = precompute(["--models", key, "--per-head", "--metrics", "--weights", weights])
        if code != 0 and weights == "pretrained":
            print(f"ssl-attention: falling back to --weights random for '{key}'", file=sys.stderr)
            weights = "random"
            code = precompute(["--models", key, "--per-head", "--metrics", "--weights", weights])
        used[key] = weights
        status = status or code
    if DEMO_BASE in used and "://" not in settings.store:
        status = status or demo_variant(Path(settings.store).parent / "adapters" / DEMO_NAME, used[DEMO_BASE])
    texts = Path(settings.images) / "texts.jsonl"
    if texts.is_file():
        status = status or sample_texts(texts)
    if not with_vlms:
        print(
            "ssl-attention: VLM maps (qwen2_5_vl, qwen3_vl) are not in the sample store; add them with "
            f"`precompute --models vlm --per-head` or {VLMS_ENV}=1 ./dev.sh (pretrained: a GPU is advised); "
            "`precompute --models vlm --weights random` runs them on a CPU with no download (untrained "
            "maps, marked 'random'; about a minute per image)",
            file=sys.stderr,
        )
    return status


def worker_args(store: str) -> list[str]:
    """`precompute worker` flags that serve the sample store's models as they were built: the
    models it holds (the demo variant with its adapter), per head, with their weights (those of
    the first model where they differ: a worker builds every model with one `--weights`)."""
    writer = AttentionStoreWriter(store)
    held = {k: attrs for k in [*REGISTRY, DEMO_NAME] if (attrs := writer.existing_attrs(k)) is not None}
    if not held:
        return []
    weights = next(iter(held.values())).weights
    models = [k for k, attrs in held.items() if attrs.weights == weights]
    args = ["--models", ",".join(models), "--per-head", "--weights", weights]
    if DEMO_NAME in models:
        folder = Path(store).parent / "adapters" / DEMO_NAME
        args += ["--variant", f"{DEMO_NAME}={DEMO_BASE}", "--adapter", f"{DEMO_NAME}={folder}"]
    return args


def serve_jobs() -> int:
    """Run the Ask worker over the sample store (`./dev.sh` starts it beside the API)."""
    from precompute.worker_cli import main as worker

    settings = Settings.from_env()
    if not os.path.exists(os.path.join(settings.store, "zarr.json")):
        print(f"ssl-attention: no store at {settings.store} yet: no Ask worker", file=sys.stderr)
        return 0
    if os.environ.get("HF_HUB_OFFLINE") != "1" and not hub_reachable():
        os.environ["HF_HUB_OFFLINE"] = "1"  # the cached weights; no 30 s of retries per model
    return worker(worker_args(settings.store))


def sample_texts(texts: Path) -> int:
    """The sample texts through a tiny random text model (`sample-lm`, a shipped 4-layer config,
    byte-level tokens): seconds on a CPU, so the Texts section has something to show. Real
    models: `precompute --models qwen3 --texts data/samples/texts.jsonl` (docs/precompute.md)."""
    args = ["--models", SAMPLE_LM, "--variant", f"{SAMPLE_LM}=causal_lm", "--checkpoint"]
    args += [f"{SAMPLE_LM}={SHIPPED_CONFIGS / 'sample_lm'}", "--texts", str(texts)]
    return precompute([*args, "--per-head", "--weights", "random"])


def demo_variant(folder: Path, weights: str) -> int:
    """The demo LoRA variant beside its base, with the weights the base was stored with."""
    adapter = make_demo_adapter(folder)
    args = [
        "--models",
        DEMO_NAME,
        "--variant",
        f"{DEMO_NAME}={DEMO_BASE}",
        "--adapter",
        f"{DEMO_NAME}={adapter}",
    ]
    return precompute([*args, "--per-head", "--metrics", "--weights", weights])


if __name__ == "__main__":
    try:
        raise SystemExit(serve_jobs() if sys.argv[1:] == ["--worker"] else main())
    except ModelLoadError as error:
        print(f"precompute: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
