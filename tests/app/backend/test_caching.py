"""ETag / 304, Cache-Control, gzip, and the decoded-chunk cache."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.backend.config import ApiSettings
from app.backend.main import create_app
from app.backend.responses import etag_matches, make_etag
from tests.app.conftest import Api

DATA_URLS = [
    "/models",
    "/models/dinov2",
    "/images?limit=5",
    "/images/img_0",
    "/images/img_0/file",
    "/images/img_0/thumbnail?size=32",
    "/attention/img_0/raw?model=dinov2",
    "/attention/img_0/raw?model=dinov2&format=f16",
    "/attention/img_0/heads?model=dinov2",
    "/attention/img_0/prefix?model=dinov2",
    "/attention/img_0/heatmap.png?model=dinov2&size=32",
]


@pytest.mark.parametrize("url", DATA_URLS)
def test_data_responses_revalidate_with_etag(client: TestClient, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "public, no-cache"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_etags_differ_by_parameters(client: TestClient) -> None:
    urls = [
        "/attention/img_0/raw?model=dinov2",
        "/attention/img_0/raw?model=dinov2&layer=1",
        "/attention/img_0/raw?model=dinov2&head=1",
        "/attention/img_0/raw?model=dinov2&format=f16",
        "/attention/img_0/raw?model=dinov2&normalize=minmax",
        "/attention/img_1/raw?model=dinov2",
        "/attention/img_0/raw?model=dinov3",
    ]
    assert len({client.get(url).headers["etag"] for url in urls}) == len(urls)


def test_heatmap_etag_follows_style_and_boxes(client: TestClient) -> None:
    base = "/attention/img_0/heatmap.png?model=dinov2&size=32"
    variants = [
        base,
        base + "&boxes=true",
        base + "&colormap=gray",
        base + "&overlay=false",
        base + "&opacity=0.2",
    ]
    assert len({client.get(url).headers["etag"] for url in variants}) == len(variants)
    # img_2 has no boxes: asking for them draws nothing.
    plain = client.get("/attention/img_2/heatmap.png?model=dinov2&size=32")
    assert client.get("/attention/img_2/heatmap.png?model=dinov2&size=32&boxes=true").content == plain.content


def test_equivalent_requests_share_an_etag(client: TestClient) -> None:
    default = client.get("/attention/img_0/raw?model=dinov2").headers["etag"]
    explicit = client.get("/attention/img_0/raw?model=dinov2&method=cls&layer=2&fusion=mean").headers["etag"]
    assert default == explicit


def test_etag_matching() -> None:
    tag = make_etag("x", 1)
    assert etag_matches(tag, tag) and etag_matches("*", tag) and etag_matches(f'"a", {tag}', tag)
    assert etag_matches(f"W/{tag}", tag)
    assert not etag_matches(None, tag) and not etag_matches('"a"', tag)


def test_max_age_setting(api: Api) -> None:
    settings = ApiSettings(**{**api.settings.__dict__, "max_age": 600})
    with TestClient(create_app(settings)) as client:
        assert client.get("/models").headers["cache-control"] == "public, max-age=600"


def test_json_is_gzipped_when_large_enough(client: TestClient) -> None:
    big = client.get("/attention/img_0/heads?model=siglip&method=mean", headers={"Accept-Encoding": "gzip"})
    assert big.headers["content-encoding"] == "gzip" and "accept-encoding" in big.headers["vary"].lower()
    assert big.json()["shape"] == [4, 6, 6]
    small = client.get("/attention/img_0/raw?model=dinov2&format=f16", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


def test_errors_are_not_cached(client: TestClient) -> None:
    response = client.get("/attention/img_0/raw?model=dinov2&layer=9")
    assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers


@pytest.fixture
def fresh_app(api: Api) -> FastAPI:
    return create_app(api.settings)


def test_switching_layer_head_or_fusion_never_decodes_again(fresh_app: FastAPI) -> None:
    store = fresh_app.state.services.store
    with TestClient(fresh_app) as client:
        assert client.get("/attention/img_2/raw?model=siglip&method=mean&head=0").status_code == 200
        decoded = store.cache_stats().misses
        for layer in range(3):
            for head in range(4):
                url = f"/attention/img_2/raw?model=siglip&method=mean&layer={layer}&head={head}"
                assert client.get(url).status_code == 200
            for fusion in ("max", "min"):
                assert client.get(
                    f"/attention/img_2/raw?model=siglip&method=mean&layer={layer}&fusion={fusion}"
                )
            assert (
                client.get(f"/attention/img_2/heads?model=siglip&method=mean&layer={layer}").status_code
                == 200
            )
        assert store.cache_stats().misses == decoded
        # The fused array is a second chunk: decoded once, then reused for every layer.
        for layer in range(3):
            assert (
                client.get(f"/attention/img_2/raw?model=siglip&method=mean&layer={layer}").status_code == 200
            )
        assert store.cache_stats().misses == decoded + 1


def test_a_304_decodes_nothing(fresh_app: FastAPI) -> None:
    store = fresh_app.state.services.store
    with TestClient(fresh_app) as client:
        etag = client.get("/attention/img_3/raw?model=mae").headers["etag"]
        store.chunks.clear()
        before = store.cache_stats().misses
        assert (
            client.get("/attention/img_3/raw?model=mae", headers={"If-None-Match": etag}).status_code == 304
        )
        assert store.cache_stats().misses == before


def test_cache_memory_is_bounded(api: Api) -> None:
    settings = ApiSettings(**{**api.settings.__dict__, "cache_mb": 0.002})  # ~2 KB: a few tiny chunks
    app = create_app(settings)
    with TestClient(app) as client:
        for image_id in ("img_0", "img_1", "img_2", "img_3"):
            for model in ("dinov2", "siglip"):
                assert client.get(f"/attention/{image_id}/heads?model={model}&method=mean").status_code == 200
        stats = app.state.services.store.cache_stats()
        assert 0 < stats.bytes <= stats.max_bytes == int(0.002 * 1024 * 1024)
