"""/images, /images/{id}, /images/{id}/file, /images/{id}/thumbnail."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.app.conftest import BAD_IDS, ESCAPES, GOOD_IDS, SECRET, Api


def test_lists_all_images_in_id_order(client: TestClient) -> None:
    body = client.get("/images").json()
    assert body["total"] == len(GOOD_IDS) + len(BAD_IDS) + len(ESCAPES)
    ids = [item["id"] for item in body["items"]]
    assert ids == sorted(ids)
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id["img_0"]["path"] == "img_0.jpg" and by_id["img_0"]["width"] == 40
    assert by_id["img_0"]["models"] == ["clip", "dinov2", "dinov3", "mae", "siglip", "siglip2"]
    assert by_id["truncated"]["error"] and by_id["truncated"]["models"] == []


def test_pagination(client: TestClient) -> None:
    pages = [client.get("/images", params={"limit": 3, "offset": offset}).json() for offset in (0, 3, 6, 9)]
    ids = [item["id"] for page in pages for item in page["items"]]
    assert len(ids) == len(set(ids)) == pages[0]["total"]
    assert pages[1]["limit"] == 3 and pages[1]["offset"] == 3
    assert client.get("/images", params={"offset": 1000}).json()["items"] == []


@pytest.mark.parametrize(
    ("q", "expected"), [("nested", ["sub__nested_5"]), ("IMG_4", ["img_4"]), ("%", []), ("_", None)]
)
def test_search(client: TestClient, q: str, expected: list[str] | None) -> None:
    body = client.get("/images", params={"q": q}).json()
    ids = [item["id"] for item in body["items"]]
    if expected is None:  # `_` is a literal underscore, not a LIKE wildcard
        assert ids and all("_" in i for i in ids) and "dotdot" not in ids
    else:
        assert ids == expected and body["total"] == len(expected)


@pytest.mark.parametrize(
    ("params", "parameter", "words"),
    [
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"limit": 501}, "limit", "less than or equal to 500"),
        ({"offset": -1}, "offset", "greater than or equal to 0"),
        ({"limit": "ten"}, "limit", "valid integer"),
        ({"q": "x" * 201}, "q", "at most 200 characters"),
        ({"q": "img\x00"}, "q", "match pattern"),
    ],
)
def test_bad_paging_is_422_naming_the_bounds(
    client: TestClient, params: dict, parameter: str, words: str
) -> None:
    response = client.get("/images", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["parameter"] == parameter and words in body["message"]
    assert body["detail"][0]["loc"] == ["query", parameter]


def test_image_detail_with_annotations(client: TestClient) -> None:
    body = client.get("/images/img_0").json()
    assert body["id"] == "img_0" and body["sha256"] and body["height"] == 30
    assert [a["label"] for a in body["annotations"]] == ["cat", "dog"]
    assert body["annotations"][0]["box"] == [0.1, 0.2, 0.6, 0.9]
    assert client.get("/images/sub__nested_5").json()["path"] == "sub/nested_5.png"


def test_unknown_image_is_404(client: TestClient) -> None:
    for url in ("/images/nope", "/images/nope/file", "/images/nope/thumbnail"):
        response = client.get(url)
        assert response.status_code == 404 and "nope" in response.json()["message"]


@pytest.mark.parametrize("image_id", GOOD_IDS)
def test_file_is_the_original(client: TestClient, api: Api, image_id: str) -> None:
    path = client.get(f"/images/{image_id}").json()["path"]
    response = client.get(f"/images/{image_id}/file")
    assert response.status_code == 200
    assert response.content == (api.settings.images / path).read_bytes()
    assert response.headers["content-type"] in ("image/jpeg", "image/png")
    assert response.headers["etag"] and response.headers["cache-control"]


@pytest.mark.parametrize("image_id", [*BAD_IDS, *ESCAPES])
def test_unusable_or_escaping_files_are_refused(client: TestClient, image_id: str) -> None:
    for suffix in ("file", "thumbnail"):
        response = client.get(f"/images/{image_id}/{suffix}")
        assert response.status_code == 422, response.text
        assert SECRET not in response.text and "/" not in response.json()["message"].split(":")[0]


def test_thumbnail_is_a_bounded_jpeg(client: TestClient) -> None:
    response = client.get("/images/img_4/thumbnail", params={"size": 20})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    assert max(image.size) == 20 and image.size == (20, 19)  # 45 x 42, aspect kept
    assert Image.open(io.BytesIO(client.get("/images/img_4/thumbnail").content)).size == (45, 42)


@pytest.mark.parametrize("size", [15, 1025, -1, "big"])
def test_thumbnail_size_out_of_bounds_is_422(client: TestClient, size: object) -> None:
    response = client.get("/images/img_0/thumbnail", params={"size": size})
    assert response.status_code == 422
    body = response.json()
    assert body["parameter"] == "size"
    if isinstance(size, int):
        assert ("16" in body["message"]) or ("1024" in body["message"])


def test_listing_counts_each_images_annotation_regions(client: TestClient) -> None:
    items = {item["id"]: item for item in client.get("/images", params={"limit": 100}).json()["items"]}
    assert (
        items["img_0"]["annotations"],
        items["sub__nested_5"]["annotations"],
        items["img_1"]["annotations"],
    ) == (
        2,
        1,
        0,
    )
    assert len(client.get("/images/img_0").json()["annotations"]) == 2  # the detail lists them
