"""VLM maps through /attention: /tokens, method=text with prompt and token, and the vision tower's
mean/rollout. Expectations are computed with numpy from what the factory wrote."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from app.backend.config import ApiSettings
from app.backend.main import create_app
from tests.app.conftest import VLM, VLM_IDS, VLM_PENDING, VlmApi
from tests.factories import VlmImageData, write_vlm_fixture

LAYERS, HEADS, VISION_LAYERS, VISION_HEADS = 3, 2, 2, 3  # the factory's defaults


def image(vlm_api: VlmApi, image_id: str) -> VlmImageData:
    return vlm_api.fixture.images[image_id]


def answer_tokens(data: VlmImageData, prompt: int) -> list[int]:
    return [i for i, token in enumerate(data.prompts[prompt].tokens) if token.role == "answer"]


def get(client: TestClient, url: str, **params: object) -> dict:
    response = client.get(url, params={"model": VLM, **params})
    assert response.status_code == 200, response.text
    return response.json()


def raw(client: TestClient, image_id: str, **params: object) -> dict:
    return get(client, f"/attention/{image_id}/raw", **params)


def as_map(body: dict) -> np.ndarray:
    return np.array(body["data"], dtype=np.float16).reshape(body["shape"])


def token_mean(values: np.ndarray, first: int, last: int) -> np.ndarray:
    """Mean over tokens first..last (inclusive) of stored float16 maps, in float64."""
    return values[first : last + 1].astype(np.float64).sum(axis=0) / (last - first + 1)


def close_to_f16(got: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(got.astype(np.float64), expected, rtol=1e-3, atol=1e-5)


# --- /tokens -----------------------------------------------------------------------------------


def test_tokens_lists_the_prompt_tokens_and_their_image_mass(vlm_client: TestClient, vlm_api: VlmApi) -> None:
    data = image(vlm_api, "img_0")
    body = get(vlm_client, "/attention/img_0/tokens")
    prompt = data.prompts[0]
    assert (body["image_id"], body["model"], body["weights"]) == ("img_0", VLM, "random")
    assert (body["prompt"], body["prompt_text"], body["answer"]) == (0, prompt.prompt, prompt.answer)
    assert body["prompts"] == [
        {"index": 0, "text": "Describe this image."},
        {"index": 1, "text": "Where is the flag?"},
    ]
    assert body["grid"] == [2, 3] and body["vision_grid"] == [4, 6] and body["resized"] == [56, 84]
    assert body["image_tokens"] == [15, 21]
    assert (body["layers"], body["heads"], body["head"]) == (LAYERS, HEADS, None)
    assert body["tokens"] == [
        {"index": i, "id": t.id, "text": t.text, "role": t.role, "position": t.position}
        for i, t in enumerate(prompt.tokens)
    ]
    assert {t["role"] for t in body["tokens"]} == {"template", "prompt", "answer"}
    assert body["tokens"][0]["text"] == "<|vision_end|>" and body["tokens"][0]["position"] == 21
    # image_mass[t][l]: the per-head maps summed over the grid, then the mean over heads.
    per_head = data.text[0]["text/heads"].astype(np.float64).sum(axis=(-2, -1))  # (T, L, H)
    mass = np.array(body["image_mass"])
    assert mass.shape == (len(prompt.tokens), LAYERS)
    np.testing.assert_allclose(mass, per_head.mean(axis=2), rtol=1e-5)
    assert ((mass > 0) & (mass < 1)).all()


def test_tokens_of_one_head_and_another_prompt(vlm_client: TestClient, vlm_api: VlmApi) -> None:
    data = image(vlm_api, "img_0")
    body = get(vlm_client, "/attention/img_0/tokens", prompt=1, head=1)
    assert (body["prompt"], body["prompt_text"], body["head"]) == (1, "Where is the flag?", 1)
    assert body["answer"] == "In the top left corner."
    assert [t["text"] for t in body["tokens"]] == [t.text for t in data.prompts[1].tokens]
    expected = data.text[1]["text/heads"][:, :, 1].astype(np.float64).sum(axis=(-2, -1))
    np.testing.assert_allclose(np.array(body["image_mass"]), expected, rtol=1e-5)
    # Stored float32 values come back exactly.
    assert np.array_equal(np.array(body["image_mass"], np.float32), data.text[1]["image_mass"][:, :, 1])


def test_tokens_of_an_image_with_one_prompt(vlm_client: TestClient) -> None:
    body = get(vlm_client, "/attention/img_1/tokens")
    assert body["prompts"] == [{"index": 0, "text": "Describe this image."}]
    assert body["grid"] == [3, 2] and body["vision_grid"] == [6, 4]


@pytest.mark.parametrize(
    ("image_id", "params", "status", "parameter", "allowed"),
    [
        ("img_0", {"model": "dinov2"}, 400, "model", [VLM]),
        ("img_1", {"prompt": 1}, 400, "prompt", [0]),
        ("img_0", {"prompt": 2}, 400, "prompt", [0, 1]),
        ("img_0", {"head": 2}, 400, "head", {"min": 0, "max": 1}),
        ("img_0", {"head": -1}, 422, "head", None),
        ("img_0", {"prompt": "first"}, 422, "prompt", None),
        ("img_0", {"model": "gpt5"}, 404, "model", None),
        ("nope", {}, 404, None, None),
        (VLM_PENDING[0], {}, 409, None, None),
        ("truncated", {}, 422, None, None),
    ],
)
def test_tokens_errors(
    vlm_client: TestClient,
    image_id: str,
    params: dict[str, object],
    status: int,
    parameter: str | None,
    allowed: object,
) -> None:
    response = vlm_client.get(f"/attention/{image_id}/tokens", params={"model": VLM, **params})
    assert response.status_code == status, response.text
    body = response.json()
    assert body["message"] and body.get("parameter") == parameter
    if allowed is not None:
        assert body["allowed"] == allowed


def test_tokens_on_a_vit_name_the_vlms(vlm_client: TestClient) -> None:
    message = vlm_client.get("/attention/img_0/tokens", params={"model": "dinov2"}).json()["message"]
    assert "dinov2" in message and VLM in message


def test_tokens_on_a_store_without_vlms_says_so(client: TestClient) -> None:
    response = client.get("/attention/img_0/tokens", params={"model": "dinov2"})
    assert response.status_code == 400 and response.json()["allowed"] == []


# --- /raw method=text -------------------------------------------------------------------------


@pytest.mark.parametrize("token", [0, 4, 12])
@pytest.mark.parametrize("layer", [0, 2])
def test_one_token_is_its_stored_map(vlm_client: TestClient, vlm_api: VlmApi, token: int, layer: int) -> None:
    data = image(vlm_api, "img_1")
    body = raw(vlm_client, "img_1", method="text", token=token, layer=layer)
    assert (body["method"], body["prompt"], body["token"], body["layer"]) == ("text", 0, str(token), layer)
    assert (body["head"], body["fusion"], body["shape"]) == (None, "mean", [3, 2])
    expected = data.text[0]["text/fused"][token, layer]
    assert np.array_equal(as_map(body), expected)
    assert np.float16(body["min"]) == expected.min() and np.float16(body["max"]) == expected.max()
    for head in range(HEADS):
        one = raw(vlm_client, "img_1", method="text", token=token, layer=layer, head=head)
        assert one["head"] == head and np.array_equal(
            as_map(one), data.text[0]["text/heads"][token, layer, head]
        )


def test_fused_is_the_mean_over_heads(vlm_client: TestClient, vlm_api: VlmApi) -> None:
    heads = image(vlm_api, "img_0").text[1]["text/heads"]
    body = raw(vlm_client, "img_0", prompt=1, token=6, layer=1)
    close_to_f16(as_map(body), heads[6, 1].astype(np.float64).mean(axis=0))


def test_a_token_range_is_the_mean_of_its_maps(vlm_client: TestClient, vlm_api: VlmApi) -> None:
    text = image(vlm_api, "img_0").text[1]
    body = raw(vlm_client, "img_0", method="text", prompt=1, token="2-7", layer=0)
    assert (body["prompt"], body["token"]) == (1, "2-7")
    close_to_f16(as_map(body), token_mean(text["text/fused"][:, 0], 2, 7))
    head = raw(vlm_client, "img_0", method="text", prompt=1, token="2-7", layer=0, head=1)
    close_to_f16(as_map(head), token_mean(text["text/heads"][:, 0, 1], 2, 7))
    per_head = np.stack([token_mean(text["text/heads"][:, 0, h], 2, 7) for h in range(HEADS)])
    peak = raw(vlm_client, "img_0", method="text", prompt=1, token="2-7", layer=0, fusion="max")
    close_to_f16(as_map(peak), per_head.max(axis=0))
    low = raw(vlm_client, "img_0", method="text", prompt=1, token="2-7", layer=0, fusion="min")
    close_to_f16(as_map(low), per_head.min(axis=0))


def test_a_one_token_range_is_that_token(vlm_client: TestClient) -> None:
    single = raw(vlm_client, "img_2", token="5")
    assert raw(vlm_client, "img_2", token="5-5") == single and single["token"] == "5"


def test_default_is_the_answer_tokens_of_prompt_0_at_the_last_layer(
    vlm_client: TestClient, vlm_api: VlmApi
) -> None:
    data = image(vlm_api, "img_0")
    answers = answer_tokens(data, 0)
    assert answers == [9, 10, 11] and data.prompts[0].tokens[-1].role == "template"  # not averaged
    body = raw(vlm_client, "img_0")  # method defaults to text, the VLM's first method
    assert (body["method"], body["prompt"], body["token"]) == ("text", 0, "9-11")
    assert (body["layer"], body["head"], body["fusion"]) == (LAYERS - 1, None, "mean")
    close_to_f16(as_map(body), token_mean(data.text[0]["text/fused"][:, LAYERS - 1], 9, 11))
    answers_1 = answer_tokens(data, 1)
    other = raw(vlm_client, "img_0", prompt=1)
    assert other["token"] == f"{answers_1[0]}-{answers_1[-1]}"


def test_json_and_f16_agree_for_text(vlm_client: TestClient) -> None:
    params = {"model": VLM, "method": "text", "token": "1-3", "layer": 1, "head": 0}
    body = vlm_client.get("/attention/img_0/raw", params=params).json()
    response = vlm_client.get("/attention/img_0/raw", params={**params, "format": "f16"})
    assert response.status_code == 200
    assert response.headers["x-shape"] == "2,3" and response.headers["x-weights"] == "random"
    assert (response.headers["x-prompt"], response.headers["x-token"]) == ("0", "1-3")
    values = np.frombuffer(response.content, "<f2").reshape(2, 3)
    assert np.array_equal(values, as_map(body))
    assert (float(response.headers["x-min"]), float(response.headers["x-max"])) == (body["min"], body["max"])


def test_minmax_on_a_token_range(vlm_client: TestClient) -> None:
    body = raw(vlm_client, "img_1", token="0-12", normalize="minmax")
    assert min(body["data"]) == 0.0 and max(body["data"]) == 1.0 and body["normalize"] == "minmax"


@pytest.mark.parametrize(
    ("image_id", "params", "status", "parameter", "allowed"),
    [
        ("img_1", {"token": "13"}, 400, "token", {"min": 0, "max": 12}),
        ("img_1", {"token": "3-13"}, 400, "token", {"min": 0, "max": 12}),
        ("img_1", {"token": "5-3"}, 400, "token", {"min": 0, "max": 12}),
        ("img_1", {"token": "a-"}, 400, "token", {"min": 0, "max": 12}),
        ("img_1", {"token": "1-"}, 400, "token", {"min": 0, "max": 12}),
        ("img_1", {"token": "1-2-3"}, 400, "token", {"min": 0, "max": 12}),
        ("img_1", {"token": "-1"}, 400, "token", {"min": 0, "max": 12}),
        ("img_1", {"token": "two"}, 400, "token", {"min": 0, "max": 12}),
        ("img_1", {"token": ""}, 400, "token", {"min": 0, "max": 12}),
        ("img_1", {"token": "1.5"}, 400, "token", {"min": 0, "max": 12}),
        ("img_0", {"prompt": 1, "token": "16"}, 400, "token", {"min": 0, "max": 15}),
        ("img_1", {"token": "1" * 41}, 422, "token", None),
        ("img_1", {"prompt": 1}, 400, "prompt", [0]),
        ("img_1", {"prompt": -1}, 422, "prompt", None),
        ("img_1", {"method": "mean", "prompt": 0}, 400, "prompt", ["text"]),
        ("img_1", {"method": "rollout", "token": "1"}, 400, "token", ["text"]),
        ("img_1", {"method": "text", "layer": 3}, 400, "layer", {"min": 0, "max": 2}),
        ("img_1", {"method": "mean", "layer": 2}, 400, "layer", {"min": 0, "max": 1}),
        ("img_1", {"method": "text", "head": 2}, 400, "head", {"min": 0, "max": 1}),
        ("img_1", {"method": "mean", "head": 3}, 400, "head", {"min": 0, "max": 2}),
        ("img_1", {"method": "rollout", "head": 0}, 400, "head", ["text", "mean"]),
        ("img_1", {"method": "cls"}, 400, "method", ["text", "mean", "rollout"]),
        ("img_1", {"method": "pool"}, 400, "method", ["text", "mean", "rollout"]),
        ("img_1", {"model": "dinov2", "method": "text"}, 400, "method", ["cls", "mean", "rollout"]),
        ("img_1", {"model": "siglip", "method": "text"}, 400, "method", ["mean", "rollout", "pool"]),
        ("img_1", {"model": "dinov2", "prompt": 0}, 400, "prompt", []),
        ("img_1", {"model": "dinov2", "token": "0"}, 400, "token", []),
    ],
)
def test_bad_text_parameters_say_what_is_allowed(
    vlm_client: TestClient,
    image_id: str,
    params: dict[str, object],
    status: int,
    parameter: str,
    allowed: object,
) -> None:
    response = vlm_client.get(f"/attention/{image_id}/raw", params={"model": VLM, **params})
    assert response.status_code == status, response.text
    body = response.json()
    assert body["parameter"] == parameter and body["message"]
    if allowed is not None:
        assert body["allowed"] == allowed


def test_text_on_a_vit_names_the_allowed_methods(vlm_client: TestClient) -> None:
    body = vlm_client.get("/attention/img_1/raw", params={"model": "dinov2", "method": "text"}).json()
    assert "VLMs only" in body["message"] and "cls, mean, rollout" in body["message"]


def test_token_errors_name_the_range(vlm_client: TestClient) -> None:
    reversed_range = vlm_client.get("/attention/img_1/raw", params={"model": VLM, "token": "5-3"}).json()
    assert "reversed" in reversed_range["message"] and "3-5" in reversed_range["message"]
    outside = vlm_client.get("/attention/img_1/raw", params={"model": VLM, "token": "99"}).json()
    assert "0..12" in outside["message"]


@pytest.mark.parametrize(("image_id", "status"), [("nope", 404), (VLM_PENDING[0], 409), ("truncated", 422)])
def test_image_errors_for_a_vlm(vlm_client: TestClient, image_id: str, status: int) -> None:
    for url in ("raw", "heads", "heatmap.png"):
        response = vlm_client.get(f"/attention/{image_id}/{url}", params={"model": VLM, "token": "1"})
        assert response.status_code == status, (url, response.text)


def test_prefix_of_a_vlm_is_400(vlm_client: TestClient) -> None:
    response = vlm_client.get("/attention/img_0/prefix", params={"model": VLM})
    assert response.status_code == 400 and "VLM" in response.json()["message"]


# --- /heads method=text -----------------------------------------------------------------------


def test_heads_of_one_token_and_of_a_range(vlm_client: TestClient, vlm_api: VlmApi) -> None:
    heads = image(vlm_api, "img_2").text[0]["text/heads"]
    body = get(vlm_client, "/attention/img_2/heads", method="text", token=4, layer=1)
    assert (body["shape"], body["layer"], body["prompt"], body["token"]) == ([HEADS, 2, 3], 1, 0, "4")
    assert np.array_equal(as_map(body), heads[4, 1])
    assert np.array_equal(np.array(body["head_max"], np.float16), heads[4, 1].max(axis=(1, 2)))
    ranged = get(vlm_client, "/attention/img_2/heads", token="3-8")  # method text, last layer
    assert (ranged["method"], ranged["layer"], ranged["token"]) == ("text", LAYERS - 1, "3-8")
    close_to_f16(as_map(ranged), token_mean(heads[:, LAYERS - 1], 3, 8))
    default = get(vlm_client, "/attention/img_2/heads")
    assert default["token"] == "9-11"
    close_to_f16(as_map(default), token_mean(heads[:, LAYERS - 1], 9, 11))
    response = vlm_client.get(
        "/attention/img_2/heads", params={"model": VLM, "token": "3-8", "format": "f16"}
    )
    assert response.headers["x-shape"] == "2,2,3" and response.headers["x-token"] == "3-8"
    assert np.array_equal(np.frombuffer(response.content, "<f2").reshape(2, 2, 3), as_map(ranged))


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"method": "rollout"}, "method"),
        ({"token": "20"}, "token"),
        ({"method": "mean", "token": "1"}, "token"),
        ({"layer": 3}, "layer"),
    ],
)
def test_heads_errors_for_a_vlm(vlm_client: TestClient, params: dict[str, object], parameter: str) -> None:
    response = vlm_client.get("/attention/img_2/heads", params={"model": VLM, **params})
    assert response.status_code == 400 and response.json()["parameter"] == parameter


# --- vision tower: mean and rollout -------------------------------------------------------------


@pytest.mark.parametrize("image_id", VLM_IDS)
def test_mean_and_rollout_are_the_vision_towers_maps(
    vlm_client: TestClient, vlm_api: VlmApi, image_id: str
) -> None:
    data = image(vlm_api, image_id)
    vision_grid = list(data.sample.vision_grid)
    body = raw(vlm_client, image_id, method="mean")
    assert (body["layer"], body["shape"], body["prompt"], body["token"]) == (
        VISION_LAYERS - 1,
        vision_grid,
        None,
        None,
    )
    assert np.array_equal(as_map(body), data.vision["mean/fused"][VISION_LAYERS - 1])
    one = raw(vlm_client, image_id, method="mean", layer=0, head=2)
    assert np.array_equal(as_map(one), data.vision["mean/heads"][0, 2])
    peak = raw(vlm_client, image_id, method="mean", layer=0, fusion="max")
    assert np.array_equal(as_map(peak), data.vision["mean/heads"][0].max(axis=0))
    rollout = raw(vlm_client, image_id, method="rollout", layer=0)
    assert rollout["shape"] == vision_grid and np.array_equal(
        as_map(rollout), data.vision["rollout/fused"][0]
    )
    heads = get(vlm_client, f"/attention/{image_id}/heads", method="mean", layer=1)
    assert heads["shape"] == [VISION_HEADS, *vision_grid] and heads["token"] is None
    assert np.array_equal(as_map(heads), data.vision["mean/heads"][1])
    response = vlm_client.get(
        f"/attention/{image_id}/raw", params={"model": VLM, "method": "rollout", "format": "f16"}
    )
    assert (
        response.headers["x-shape"] == ",".join(map(str, vision_grid)) and "x-token" not in response.headers
    )


# --- heatmap.png ------------------------------------------------------------------------------


def heatmap(client: TestClient, image_id: str = "img_0", **params: object) -> bytes:
    response = client.get(f"/attention/{image_id}/heatmap.png", params={"model": VLM, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png" and response.headers["x-weights"] == "random"
    return response.content


def test_heatmap_of_text_tokens_renders_over_the_image(vlm_client: TestClient) -> None:
    picture = Image.open(io.BytesIO(heatmap(vlm_client, method="text", token="9-11", size=64)))
    assert picture.mode == "RGB" and picture.size == (64, 48)  # img_0 is 40 × 30
    alone = Image.open(io.BytesIO(heatmap(vlm_client, token="2", overlay=False, size=64, colormap="gray")))
    assert alone.mode == "RGBA" and len(np.unique(np.asarray(alone)[..., 0])) > 4
    assert heatmap(vlm_client, token="2", size=64) != heatmap(vlm_client, token="3", size=64)
    assert heatmap(vlm_client, method="rollout", size=32)


def test_heatmap_errors_for_a_vlm(vlm_client: TestClient) -> None:
    response = vlm_client.get("/attention/img_0/heatmap.png", params={"model": VLM, "token": "1-2-3"})
    assert response.status_code == 400 and response.json()["parameter"] == "token"


# --- caching ----------------------------------------------------------------------------------


def test_etags_follow_prompt_and_token(vlm_client: TestClient) -> None:
    urls = [
        "/attention/img_0/raw?model=qwen2_5_vl&token=1",
        "/attention/img_0/raw?model=qwen2_5_vl&token=2",
        "/attention/img_0/raw?model=qwen2_5_vl&token=1-2",
        "/attention/img_0/raw?model=qwen2_5_vl&token=1&prompt=1",
        "/attention/img_0/raw?model=qwen2_5_vl&token=1&layer=0",
        "/attention/img_0/raw?model=qwen2_5_vl&method=mean",
        "/attention/img_0/heads?model=qwen2_5_vl&token=1",
        "/attention/img_0/heads?model=qwen2_5_vl&token=2",
        "/attention/img_0/heatmap.png?model=qwen2_5_vl&token=1&size=32",
        "/attention/img_0/heatmap.png?model=qwen2_5_vl&token=2&size=32",
        "/attention/img_0/tokens?model=qwen2_5_vl",
        "/attention/img_0/tokens?model=qwen2_5_vl&prompt=1",
        "/attention/img_0/tokens?model=qwen2_5_vl&head=0",
    ]
    assert len({vlm_client.get(url).headers["etag"] for url in urls}) == len(urls)
    same = [
        "/attention/img_0/raw?model=qwen2_5_vl",
        "/attention/img_0/raw?model=qwen2_5_vl&method=text&prompt=0&token=9-11&layer=2",
    ]
    assert len({vlm_client.get(url).headers["etag"] for url in same}) == 1
    assert (
        vlm_client.get("/attention/img_0/raw?model=qwen2_5_vl&token=4").headers["etag"]
        == vlm_client.get("/attention/img_0/raw?model=qwen2_5_vl&token=4-4").headers["etag"]
    )


@pytest.mark.parametrize(
    "url",
    [
        "/attention/img_0/tokens?model=qwen2_5_vl",
        "/attention/img_0/raw?model=qwen2_5_vl&token=3-5",
        "/attention/img_0/raw?model=qwen2_5_vl&method=rollout",
        "/attention/img_0/heads?model=qwen2_5_vl&format=f16",
    ],
)
def test_vlm_responses_revalidate_with_etag(vlm_client: TestClient, url: str) -> None:
    first = vlm_client.get(url)
    assert first.status_code == 200 and first.headers["cache-control"] == "public, no-cache"
    again = vlm_client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.fixture
def fresh_vlm_app(vlm_api: VlmApi) -> FastAPI:
    return create_app(vlm_api.settings)


def test_token_chunks_are_decoded_once(fresh_vlm_app: FastAPI) -> None:
    store = fresh_vlm_app.state.services.store
    with TestClient(fresh_vlm_app) as client:
        assert client.get(f"/attention/img_0/raw?model={VLM}&token=2-5&layer=0").status_code == 200
        decoded = store.cache_stats().misses
        for layer in range(LAYERS):
            for token in ("2-5", "3", "4-5"):
                assert (
                    client.get(f"/attention/img_0/raw?model={VLM}&token={token}&layer={layer}").status_code
                    == 200
                )
        assert store.cache_stats().misses == decoded  # every token's layers came with its chunk
        assert client.get(f"/attention/img_0/raw?model={VLM}&token=2-6").status_code == 200
        assert store.cache_stats().misses == decoded + 1  # one more token
        assert client.get(f"/attention/img_0/tokens?model={VLM}").status_code == 200
        decoded = store.cache_stats().misses
        assert client.get(f"/attention/img_0/tokens?model={VLM}&head=1").status_code == 200
        assert store.cache_stats().misses == decoded


def test_images_list_the_vlm_where_it_is_done(vlm_client: TestClient) -> None:
    for image_id in VLM_IDS:
        assert VLM in vlm_client.get(f"/images/{image_id}").json()["models"]
    assert VLM not in vlm_client.get(f"/images/{VLM_PENDING[0]}").json()["models"]


def test_a_vlm_without_per_head_maps_in_a_store_of_its_own(tmp_path: Path) -> None:
    """The factory on an empty store and catalog, with synthetic image files: fused maps only."""
    images = tmp_path / "images"
    store, db = str(tmp_path / "attention.zarr"), f"sqlite:///{tmp_path / 'catalog.db'}"
    fixture = write_vlm_fixture(
        store, db, ["cat", "nested__dog"], key="qwen3_vl", images=images, per_head=False
    )
    assert (images / "nested" / "dog.png").is_file()
    settings = ApiSettings(images=images, store=store, db=db, frontend_dist=tmp_path / "none")
    with TestClient(create_app(settings)) as client:
        info = client.get("/models/qwen3_vl").json()
        assert info["per_head_methods"] == [] and info["per_head"] is False
        body = client.get("/attention/nested__dog/raw", params={"model": "qwen3_vl", "token": "2"}).json()
        assert body["shape"] == [3, 2]
        assert np.array_equal(
            as_map(body), fixture.images["nested__dog"].text[0]["text/fused"][2, LAYERS - 1]
        )
        for params in ({"head": 0}, {"fusion": "max"}, {"method": "mean", "head": 0}):
            response = client.get("/attention/cat/raw", params={"model": "qwen3_vl", **params})
            assert response.status_code == 400 and "--per-head" in response.json()["message"]
        assert client.get("/attention/cat/heads", params={"model": "qwen3_vl"}).status_code == 400
        # image_mass is stored per head regardless.
        mass = client.get("/attention/cat/tokens", params={"model": "qwen3_vl", "head": 1}).json()[
            "image_mass"
        ]
        assert np.array_equal(
            np.array(mass, np.float32), fixture.images["cat"].text[0]["image_mass"][:, :, 1]
        )
        picture = client.get("/attention/cat/heatmap.png", params={"model": "qwen3_vl", "size": 56})
        assert picture.status_code == 200
        assert Image.open(io.BytesIO(picture.content)).size == (56, 37)  # the synthetic file is 84 × 56
        assert client.get("/images", params={"limit": 10}).json()["total"] == 2
