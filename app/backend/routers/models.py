"""`/models`: what the store holds, per model."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.backend.dependencies import ModelDep, ServicesDep
from app.backend.responses import make_etag
from app.backend.schemas import ErrorBody, ModelInfo, ModelList
from app.backend.services.kinds import api_of
from app.backend.services.store import StoredModel

router = APIRouter(tags=["models"])

ENTRY_REVISION = 3  # in the ETags of /models: bump when an entry or the order changes (2: base_key, 3: order)

# The registry's order (`ssl_attention.models.registry.REGISTRY`, which imports torch, so it is
# repeated here; a test keeps the two equal): /models lists models in it, so the web app's default
# model is the registry's first (dinov2), as the README shows.
REGISTRY_ORDER = (
    "dinov2",
    "dinov3",
    "mae",
    "clip",
    "siglip",
    "siglip2",
    "vit_in1k",
    "qwen3",
    "smollm2",
    "causal_lm",
    "resnet50",
    "qwen2_5_vl",
    "qwen3_vl",
)


def registry_order(model: StoredModel) -> tuple[int, bool, str]:
    """Sort key: the registry position of the key the model is built like, each variant after its
    base, names unknown to the registry last (alphabetically)."""
    attrs = model.attrs
    position = (
        REGISTRY_ORDER.index(attrs.base_key) if attrs.base_key in REGISTRY_ORDER else len(REGISTRY_ORDER)
    )
    return position, attrs.key != attrs.base_key, attrs.key


def model_info(model: StoredModel) -> ModelInfo:
    """The fields every kind has, and those its `kinds.KindApi.info` gives (grid, prompts …)."""
    attrs = model.attrs
    return ModelInfo(
        key=attrs.key,
        base_key=attrs.base_key,
        family=attrs.family,
        checkpoint=attrs.checkpoint,
        revision=attrs.revision,
        weights=attrs.weights,
        patch=attrs.patch,
        layers=attrs.layers,
        heads=attrs.heads,
        methods=list(attrs.methods),
        per_head_methods=list(attrs.per_head_methods),
        method_layers={method: attrs.method_layers(method) for method in attrs.methods},
        method_heads={method: attrs.method_heads(method) for method in attrs.methods},
        per_head=attrs.per_head,
        dtype=attrs.dtype,
        schema_version=attrs.schema_version,
        **api_of(attrs).info(attrs),
    )


@router.get("/models", response_model=ModelList, responses={503: {"model": ErrorBody}})
def list_models(request: Request, services: ServicesDep) -> Response:
    """Every model in the store with its layers, heads, grid, methods and weights (VLMs: also
    their prompts; their grid is per image), in the registry's order (variants after their base)."""
    models = services.store.models()
    etag = make_etag(
        "models", ENTRY_REVISION, tuple((key, model.fingerprint) for key, model in models.items())
    )
    body = ModelList(models=[model_info(model) for model in sorted(models.values(), key=registry_order)])
    return services.http.json(request, body, etag)


@router.get(
    "/models/{model}",
    response_model=ModelInfo,
    responses={404: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
def get_model_info(request: Request, model: ModelDep, services: ServicesDep) -> Response:
    """One model's attributes."""
    return services.http.json(
        request, model_info(model), make_etag("model", ENTRY_REVISION, model.attrs.key, model.fingerprint)
    )
