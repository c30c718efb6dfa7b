"""Property tests: random ids, paths and query strings never give a 500 or reach outside the folders."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.conftest import BAD_IDS, ESCAPES, GOOD_IDS, SECRET, VLM, VLM_IDS, VLM_PENDING, Api, VlmApi

MODELS = ["clip", "dinov2", "dinov3", "mae", "siglip", "siglip2"]
TEMPLATES = [
    "/images/{id}",
    "/images/{id}/file",
    "/images/{id}/thumbnail",
    "/models/{id}",
    "/attention/{id}/raw",
    "/attention/{id}/heads",
    "/attention/{id}/prefix",
    "/attention/{id}/heatmap.png",
    "/attention/{id}/shift",
    "/metrics/shift",
]
TRICKS = [
    "..",
    "../secret.txt",
    "..%2fsecret",
    "%2e%2e%2f%2e%2e%2fsecret.txt",
    "....//secret",
    "/etc/passwd",
    "\x00",
    "img_0\x00.png",
    "..\\secret",
    "%00",
    "sub/nested_5",
    "sub%2Fnested_5",
    "images_evil__img_0",
    "../images_evil/img_0",
    "~",
    "",
    " ",
    "img_0.jpg",
    *ESCAPES,
    *GOOD_IDS,
    "truncated",
    "not_an_image",
]

ids = st.one_of(st.sampled_from(TRICKS), st.text(max_size=40), st.sampled_from(GOOD_IDS))
values = st.one_of(
    st.sampled_from(
        [*MODELS, "cls", "mean", "rollout", "pool", "prefix", "max", "min", "f16", "json", "minmax", "none"]
    ),
    st.sampled_from(["viridis", "magma", "turbo", "gray", "true", "false", "nearest", "bicubic"]),
    st.integers(-3, 3000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=20),
)
keys = st.sampled_from(
    [
        "model",
        "method",
        "layer",
        "head",
        "fusion",
        "format",
        "normalize",
        "size",
        "colormap",
        "opacity",
        "overlay",
        "boxes",
        "vmin",
        "vmax",
        "interpolation",
        "limit",
        "offset",
        "q",
        "base",
    ]
)
queries = st.dictionaries(keys, values, max_size=6)
encodings = st.sampled_from(["all", "keep-slashes", "raw"])


def encode(image_id: str, how: str) -> str:
    if how == "all":
        return quote(image_id, safe="")
    if how == "keep-slashes":
        return quote(image_id, safe="/.")
    return quote(image_id, safe="/.%~\\")  # `..`, slashes and existing escapes go through as they are


@pytest.fixture(scope="module")
def gallery_files(api: Api) -> set[bytes]:
    return {
        path.read_bytes()
        for path in api.settings.images.rglob("*")
        if path.is_file() and not path.is_symlink()
    }


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(template=st.sampled_from(TEMPLATES), image_id=ids, how=encodings, query=queries)
def test_no_500_and_nothing_from_outside(
    client: TestClient,
    gallery_files: set[bytes],
    template: str,
    image_id: str,
    how: str,
    query: dict[str, str],
) -> None:
    url = template.format(id=encode(image_id, how))
    if query:
        url += "?" + urlencode(query)
    response = client.get(url)
    assert response.status_code < 500, (url, response.text)
    assert SECRET.encode() not in response.content
    if response.status_code == 200 and template.endswith("/file"):
        assert response.content in gallery_files
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/json" and response.json()["message"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_listing_with_random_queries(client: TestClient, query: dict[str, str]) -> None:
    response = client.get("/images?" + urlencode(query))
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        body = response.json()
        assert 0 <= len(body["items"]) <= body["limit"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    model=st.sampled_from(MODELS),
    image_id=st.sampled_from(GOOD_IDS),
    method=st.sampled_from(["cls", "mean", "rollout", "pool"]),
    layer=st.integers(0, 3),
    head=st.one_of(st.none(), st.integers(0, 4)),
    fusion=st.sampled_from([None, "mean", "max", "min"]),
)
def test_valid_looking_slices_are_200_or_400(
    client: TestClient,
    model: str,
    image_id: str,
    method: str,
    layer: int,
    head: int | None,
    fusion: str | None,
) -> None:
    params: dict[str, object] = {"model": model, "method": method, "layer": layer}
    if head is not None:
        params["head"] = head
    if fusion is not None:
        params["fusion"] = fusion
    response = client.get(f"/attention/{image_id}/raw", params=params)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["allowed"] is not None
    else:
        assert len(response.json()["data"]) == 36


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    model=st.sampled_from(MODELS),
    base=st.sampled_from(MODELS),
    image_id=st.sampled_from(GOOD_IDS),
    method=st.sampled_from(["cls", "mean", "rollout", "pool"]),
    layer=st.integers(0, 3),
    head=st.one_of(st.none(), st.integers(0, 4)),
    fusion=st.sampled_from([None, "mean", "max", "min"]),
)
def test_valid_looking_shifts_are_200_or_400(
    client: TestClient,
    model: str,
    base: str,
    image_id: str,
    method: str,
    layer: int,
    head: int | None,
    fusion: str | None,
) -> None:
    params: dict[str, object] = {"model": model, "base": base, "method": method, "layer": layer}
    if head is not None:
        params["head"] = head
    if fusion is not None:
        params["fusion"] = fusion
    response = client.get(f"/attention/{image_id}/shift", params=params)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["allowed"] is not None
    else:
        body = response.json()
        assert len(body["data"]) == 36 and 0 <= body["distance"] <= 1
        if model == base:
            assert body["distance"] == 0 and body["min"] == body["max"] == 0


# --- with a VLM in the store ------------------------------------------------------------------

VLM_MODELS = [VLM, "dinov2", "siglip"]
VLM_TEMPLATES = [
    "/models/{id}",
    "/attention/{id}/raw",
    "/attention/{id}/heads",
    "/attention/{id}/tokens",
    "/attention/{id}/prefix",
    "/attention/{id}/heatmap.png",
    "/attention/{id}/shift",
]
token_values = st.one_of(
    st.integers(-3, 20).map(str),
    st.tuples(st.integers(0, 20), st.integers(0, 20)).map(lambda ab: f"{ab[0]}-{ab[1]}"),
    st.sampled_from(["a-", "1-", "-1", "1-2-3", "", " ", "1.5", "٣", "0x1", "1 - 2", "99999999999"]),
    st.text(max_size=12),
)
vlm_values = st.one_of(
    st.sampled_from([*VLM_MODELS, "text", "mean", "rollout", "cls", "pool", "max", "min", "f16", "minmax"]),
    st.integers(-2, 20).map(str),
    token_values,
)
vlm_keys = st.sampled_from(
    [
        "model",
        "method",
        "layer",
        "head",
        "fusion",
        "format",
        "normalize",
        "prompt",
        "token",
        "colormap",
        "overlay",
        "base",
    ]
)
vlm_ids = st.one_of(st.sampled_from([*VLM_IDS, *VLM_PENDING, *GOOD_IDS, *BAD_IDS]), st.sampled_from(TRICKS))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    template=st.sampled_from(VLM_TEMPLATES),
    image_id=vlm_ids,
    query=st.dictionaries(vlm_keys, vlm_values, max_size=6),
    vlm=st.booleans(),
)
def test_vlm_requests_never_500(
    vlm_client: TestClient, template: str, image_id: str, query: dict[str, str], vlm: bool
) -> None:
    if vlm:
        query.setdefault("model", VLM)
    url = template.format(id=quote(image_id, safe=""))
    if template.endswith("heatmap.png"):
        query["size"] = "16"
    response = vlm_client.get(url + ("?" + urlencode(query) if query else ""))
    assert response.status_code < 500, (url, query, response.text)
    assert SECRET.encode() not in response.content
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/json" and response.json()["message"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    image_id=st.sampled_from(VLM_IDS),
    method=st.sampled_from([None, "text", "mean", "rollout"]),
    prompt=st.one_of(st.none(), st.integers(0, 2)),
    token=st.one_of(st.none(), token_values),
    layer=st.one_of(st.none(), st.integers(0, 3)),
    head=st.one_of(st.none(), st.integers(0, 3)),
    fusion=st.sampled_from([None, "mean", "max", "min"]),
)
def test_valid_looking_vlm_maps_are_200_or_400(
    vlm_client: TestClient,
    vlm_api: VlmApi,
    image_id: str,
    method: str | None,
    prompt: int | None,
    token: str | None,
    layer: int | None,
    head: int | None,
    fusion: str | None,
) -> None:
    given_params = {"method": method, "prompt": prompt, "token": token, "layer": layer, "head": head}
    params = {"model": VLM, "fusion": fusion, **given_params}
    response = vlm_client.get(
        f"/attention/{image_id}/raw", params={k: v for k, v in params.items() if v is not None}
    )
    assert response.status_code in (200, 400, 422), response.text
    if response.status_code == 400:
        assert response.json()["allowed"] is not None
    elif response.status_code == 422:
        assert response.json()["parameter"] == "token"  # only a token over 40 characters
    else:
        body = response.json()
        sample = vlm_api.fixture.images[image_id].sample
        text = (method or "text") == "text"
        assert body["shape"] == list(sample.grid if text else sample.vision_grid)
        assert (body["token"] is not None) == text and len(body["data"]) == body["shape"][0] * body["shape"][
            1
        ]
