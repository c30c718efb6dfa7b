"""`/models`: what the store holds, per model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from app.backend.dependencies import ModelDep, ServicesDep
from app.backend.responses import make_etag
from app.backend.schemas import ErrorBody, ModelInfo, ModelList
from app.backend.services.store import StoredModel
from ssl_attention.store.layout import VitAttrs, VlmAttrs

router = APIRouter(tags=["models"])


def model_info(model: StoredModel) -> ModelInfo:
    attrs = model.attrs
    common = dict(
        key=attrs.key,
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
    )
    if isinstance(attrs, VlmAttrs):
        return vlm_info(attrs, common)
    return vit_info(attrs, common)


def vit_info(attrs: VitAttrs, common: dict[str, Any]) -> ModelInfo:
    return ModelInfo(
        **common,
        kind="vit",
        image_size=attrs.image_size,
        grid=list(attrs.grid),
        prompts=[],
        merge=None,
        min_pixels=None,
        max_pixels=None,
        max_new_tokens=None,
        has_cls=attrs.has_cls,
        has_pool=attrs.has_pool,
        registers=attrs.registers,
        prefix_tokens=list(attrs.prefix_tokens),
    )


def vlm_info(attrs: VlmAttrs, common: dict[str, Any]) -> ModelInfo:
    """Grids differ from image to image: every map response and /tokens carry theirs."""
    return ModelInfo(
        **common,
        kind="vlm",
        image_size=None,
        grid=None,
        prompts=list(attrs.prompts),
        merge=attrs.merge,
        min_pixels=attrs.min_pixels,
        max_pixels=attrs.max_pixels,
        max_new_tokens=attrs.max_new_tokens,
        has_cls=False,
        has_pool=False,
        registers=0,
        prefix_tokens=[],
    )


@router.get("/models", response_model=ModelList, responses={503: {"model": ErrorBody}})
def list_models(request: Request, services: ServicesDep) -> Response:
    """Every model in the store with its layers, heads, grid, methods and weights (VLMs: also
    their prompts; their grid is per image)."""
    models = services.store.models()
    etag = make_etag("models", tuple((key, model.fingerprint) for key, model in models.items()))
    body = ModelList(models=[model_info(model) for model in models.values()])
    return services.http.json(request, body, etag)


@router.get(
    "/models/{model}",
    response_model=ModelInfo,
    responses={404: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
def get_model_info(request: Request, model: ModelDep, services: ServicesDep) -> Response:
    """One model's attributes."""
    return services.http.json(
        request, model_info(model), make_etag("model", model.attrs.key, model.fingerprint)
    )
