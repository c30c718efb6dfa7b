"""`/texts`: token → token attention of texts run through causal language models
(`precompute --texts FILE.jsonl`): the list, one text's tokens, a query row's kept keys, pooled
tiles of the token × token matrix, per-head statistics and the attention each token receives."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.backend.dependencies import ModelKey, ServicesDep
from app.backend.errors import ApiError
from app.backend.responses import F16, make_etag
from app.backend.routers.images import MAX_PAGE, NO_CONTROL_CHARACTERS
from app.backend.schemas import ErrorBody
from app.backend.schemas_texts import (
    HeadStatBody,
    TextDetail,
    TextMatrixBody,
    TextPage,
    TextReceivedBody,
    TextRowBody,
    TextStatsBody,
    TextSummary,
    TextTokenBody,
)
from app.backend.services.slices import f16_bytes, json_float32s
from app.backend.services.texts import MAX_BLOCK, TextMissing
from ssl_attention.store.texts import TextInfo

router = APIRouter(prefix="/texts", tags=["texts"])

MAX_TOKENS = 1 << 22
Responses = dict[int | str, dict[str, Any]]
ERRORS: Responses = {
    400: {"model": ErrorBody, "description": "a layer, head, query or window the text does not have"},
    404: {"model": ErrorBody, "description": "no such text for the model"},
    503: {"model": ErrorBody, "description": "the store or the catalog cannot be read"},
}
TextIdPath = Annotated[
    str, Path(max_length=200, pattern=NO_CONTROL_CHARACTERS, description="the text's id in its texts file")
]
LayerQuery = Annotated[int, Query(ge=0, le=1000, description="layer, 0-based")]
HeadQuery = Annotated[
    int | None, Query(ge=0, le=1000, description="head (needs `--per-head`); omitted: fused over heads")
]
TokenQuery = Annotated[int, Query(ge=0, le=MAX_TOKENS)]


def get_text(text_id: TextIdPath, model: ModelKey, services: ServicesDep) -> TextInfo:
    try:
        return services.texts.info(model, text_id)
    except TextMissing as error:
        raise ApiError(404, error.message, parameter="text_id") from None


TextDep = Annotated[TextInfo, Depends(get_text)]


def text_etag(what: str, info: TextInfo, *parts: object) -> str:
    return make_etag("text", what, repr(info), *parts)


def missing(error: TextMissing) -> ApiError:
    return ApiError(404, error.message, parameter="text_id")


@router.get("", response_model=TextPage, responses={503: ERRORS[503]})
def list_texts(
    request: Request,
    services: ServicesDep,
    model: Annotated[str | None, Query(max_length=200, description="only this model's texts")] = None,
    category: Annotated[str | None, Query(max_length=200, description="only this category")] = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_CONTROL_CHARACTERS, description="substring of the id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="texts to skip")] = 0,
) -> Response:
    """The precomputed texts (one entry per text and model), by category and id."""
    records, total = services.catalog.texts(
        model=model, category=category, query=q, limit=limit, offset=offset
    )
    body = TextPage(
        texts=[
            TextSummary(
                text_id=r.text_id,
                model=r.model,
                category=r.category or "",
                n_tokens=r.n_tokens,
                n_generated=r.n_generated,
                preview=r.preview,
            )
            for r in records
        ],
        total=total,
        limit=limit,
        offset=offset,
        categories=services.catalog.text_categories(),
    )
    return services.http.json(request, body)


@router.get("/{text_id}", response_model=TextDetail, responses=ERRORS)
def get_text_detail(request: Request, info: TextDep, services: ServicesDep) -> Response:
    """The text's tokens (`id`, `text`, `role`, `message`) and what was stored for it."""
    etag = text_etag("detail", info)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    try:
        tokens = services.texts.tokens(info)
    except TextMissing as error:
        raise missing(error) from None
    body = TextDetail(
        text_id=info.text_id,
        model=info.model,
        category=info.category or "",
        n_tokens=info.n_tokens,
        layers=info.layers,
        heads=info.heads,
        per_head=info.per_head,
        n_generated=info.n_generated,
        keep_mass=info.keep_mass,
        max_keys=info.max_keys,
        overview_block=info.overview_block,
        tokens=[TextTokenBody(id=t.id, text=t.text, role=t.role, message=t.message) for t in tokens],
    )
    return services.http.json(request, body, etag)


@router.get("/{text_id}/row", response_model=TextRowBody, responses=ERRORS)
def get_text_row(
    request: Request,
    info: TextDep,
    services: ServicesDep,
    layer: LayerQuery,
    query: Annotated[int, Query(ge=0, le=MAX_TOKENS, description="the query token's index")],
    head: HeadQuery = None,
) -> Response:
    """One query token's attention: the kept keys (ascending) with their probabilities, the residual
    mass on the rest, the row's entropy and its attention on the first token (the sink)."""
    etag = text_etag("row", info, layer, head, query)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    try:
        row = services.texts.row(info, layer, head, query)
    except TextMissing as error:
        raise missing(error) from None
    body = TextRowBody(
        text_id=info.text_id,
        model=info.model,
        layer=layer,
        head=head,
        query=query,
        keys=[int(k) for k in row.keys],
        values=json_float32s(row.values),
        residual=float(row.residual),
        entropy=float(row.entropy),
        sink=float(row.sink),
    )
    return services.http.json(request, body, etag)


@router.get(
    "/{text_id}/matrix",
    response_model=TextMatrixBody,
    responses={
        200: {
            "content": {F16: {"schema": {"type": "string", "format": "binary"}}},
            "description": "TextMatrixBody as JSON, or float16 bytes with `format=f16` (X-Shape: rows,cols)",
        },
        **ERRORS,
    },
)
def get_text_matrix(
    request: Request,
    info: TextDep,
    services: ServicesDep,
    layer: LayerQuery,
    head: HeadQuery = None,
    block: Annotated[int, Query(ge=1, le=MAX_BLOCK, description="tokens per pooled cell side")] = 1,
    q0: TokenQuery = 0,
    q1: TokenQuery = MAX_TOKENS,
    k0: TokenQuery = 0,
    k1: TokenQuery = MAX_TOKENS,
    reduce: Annotated[Literal["mean", "max"], Query(description="how a block pools its cells")] = "mean",
    format: Annotated[
        Literal["json", "f16"], Query(description="json, or f16: row-major float16 bytes with X-Shape")
    ] = "json",
) -> Response:
    """A pooled tile of the token × token matrix: queries [q0, q1) down, keys [k0, k1) across, each
    cell the mean (or max) of a block × block square; at most 262,144 cells (400 otherwise)."""
    etag = text_etag("matrix", info, layer, head, block, q0, q1, k0, k1, reduce, format)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    try:
        tile = services.texts.matrix(info, layer, head, block, (q0, q1, k0, k1), reduce)
    except TextMissing as error:
        raise missing(error) from None
    rows, cols = tile.values.shape
    if format == "f16":
        headers = {
            "X-Shape": f"{rows},{cols}",
            "X-Dtype": "float16",
            "X-Block": str(tile.block),
            "X-Window": f"{tile.q0},{tile.q1},{tile.k0},{tile.k1}",
        }
        return services.http.content(request, f16_bytes(tile.values), F16, etag, headers)
    body = TextMatrixBody(
        text_id=info.text_id,
        model=info.model,
        layer=layer,
        head=head,
        block=tile.block,
        reduce=reduce,
        q0=tile.q0,
        q1=tile.q1,
        k0=tile.k0,
        k1=tile.k1,
        shape=[rows, cols],
        values=[json_float32s(line) for line in tile.values],
    )
    return services.http.json(request, body, etag)


@router.get("/{text_id}/stats", response_model=TextStatsBody, responses=ERRORS)
def get_text_stats(request: Request, info: TextDep, services: ServicesDep) -> Response:
    """Per layer × head: mean normalised entropy, sink mass, previous-token and induction scores,
    mean attention distance and the pattern label."""
    etag = text_etag("stats", info)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    try:
        stats = services.texts.stats(info)
    except TextMissing as error:
        raise missing(error) from None
    body = TextStatsBody(
        text_id=info.text_id,
        model=info.model,
        layers=info.layers,
        heads=info.heads,
        stats=[
            HeadStatBody(
                layer=s.layer,
                head=s.head,
                entropy=float(s.entropy),
                sink=float(s.sink),
                previous_token=float(s.previous_token),
                induction=float(s.induction),
                distance=float(s.distance),
                label=s.label,
            )
            for s in stats
        ],
    )
    return services.http.json(request, body, etag)


@router.get("/{text_id}/received", response_model=TextReceivedBody, responses=ERRORS)
def get_text_received(
    request: Request, info: TextDep, services: ServicesDep, layer: LayerQuery, head: HeadQuery = None
) -> Response:
    """Per token, the attention it receives from every later token (one layer, a head or fused)."""
    etag = text_etag("received", info, layer, head)
    cached = services.http.not_modified(request, etag)
    if cached is not None:
        return cached
    try:
        values = services.texts.received(info, layer, head)
    except TextMissing as error:
        raise missing(error) from None
    body = TextReceivedBody(
        text_id=info.text_id, model=info.model, layer=layer, head=head, values=json_float32s(values)
    )
    return services.http.json(request, body, etag)
