"""`/models`: what the store holds, per model."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.backend.dependencies import ModelDep, ServicesDep
from app.backend.responses import make_etag
from app.backend.schemas import ErrorBody, ModelInfo, ModelList
from app.backend.services.store import StoredModel

router = APIRouter(tags=["models"])


def model_info(model: StoredModel) -> ModelInfo:
    attrs = model.attrs
    return ModelInfo(
        key=attrs.key,
        family=attrs.family,
        checkpoint=attrs.checkpoint,
        revision=attrs.revision,
        weights=attrs.weights,
        image_size=attrs.image_size,
        patch=attrs.patch,
        grid=list(attrs.grid),
        layers=attrs.layers,
        heads=attrs.heads,
        methods=list(attrs.methods),
        per_head_methods=list(attrs.per_head_methods),
        method_layers={method: attrs.method_layers(method) for method in attrs.methods},
        has_cls=attrs.has_cls,
        has_pool=attrs.has_pool,
        registers=attrs.registers,
        prefix_tokens=list(attrs.prefix_tokens),
        per_head=attrs.per_head,
        dtype=attrs.dtype,
        schema_version=attrs.schema_version,
    )


@router.get("/models", response_model=ModelList, responses={503: {"model": ErrorBody}})
def list_models(request: Request, services: ServicesDep) -> Response:
    """Every model in the store with its layers, heads, grid, methods and weights."""
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
