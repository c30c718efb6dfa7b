"""The ASGI app as `uvicorn app.backend.main:app` gets it: configured by the environment, no torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.backend.config import ApiSettings, ConfigError

REPO = Path(__file__).resolve().parents[3]


def run_python(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_the_app_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "from fastapi.testclient import TestClient\n"
        "from app.backend.main import app\n"
        "client = TestClient(app)\n"
        "status = client.get('/health').status_code\n"
        "print(json.dumps([status, 'torch' in sys.modules, 'transformers' in sys.modules]))\n"
    )
    env = {
        "SSL_ATTENTION_STORE": str(tmp_path / "none.zarr"),
        "SSL_ATTENTION_DB": f"sqlite:///{tmp_path / 'none.db'}",
    }
    assert json.loads(run_python(code, env)) == [503, False, False]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SSL_ATTENTION_IMAGES", str(tmp_path / "gallery"))
    monkeypatch.setenv("SSL_ATTENTION_STORE", "s3://bucket/store.zarr")
    monkeypatch.setenv("SSL_ATTENTION_DB", "sqlite:////tmp/x.db")
    monkeypatch.setenv("SSL_ATTENTION_CACHE_MB", "64")
    monkeypatch.setenv("SSL_ATTENTION_MAX_AGE", "3600")
    settings = ApiSettings.from_env()
    assert settings.images == tmp_path / "gallery" and settings.store == "s3://bucket/store.zarr"
    assert settings.db == "sqlite:////tmp/x.db" and settings.cache_bytes == 64 * 1024 * 1024
    assert settings.max_age == 3600


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SSL_ATTENTION_CACHE_MB", "SSL_ATTENTION_MAX_AGE", "SSL_ATTENTION_MODELS_TTL"):
        monkeypatch.delenv(name, raising=False)
    settings = ApiSettings.from_env()
    assert (settings.cache_mb, settings.max_age, settings.models_ttl) == (256, 0, 2.0)


@pytest.mark.parametrize("value", ["lots", "-1", "nan"])
def test_bad_cache_size_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SSL_ATTENTION_CACHE_MB", value)
    with pytest.raises(ConfigError, match="SSL_ATTENTION_CACHE_MB"):
        ApiSettings.from_env()


def test_openapi_documents_every_endpoint() -> None:
    from app.backend.main import create_app

    paths = create_app().openapi()["paths"]
    assert set(paths) == {
        "/health",
        "/served",
        "/models",
        "/models/{model}",
        "/images",
        "/images/{image_id}",
        "/images/{image_id}/file",
        "/images/{image_id}/thumbnail",
        "/attention/{image_id}/raw",
        "/attention/{image_id}/heads",
        "/attention/{image_id}/prefix",
        "/attention/{image_id}/heatmap.png",
        "/attention/{image_id}/tokens",
        "/attention/{image_id}/shift",
        "/metrics/shift",
        "/metrics/faithfulness",
        "/metrics/faithfulness/{image_id}",
        "/metrics/leaderboard",
        "/metrics/model/{model}/layers",
        "/metrics/model/{model}/heads",
        "/metrics/model/{model}/images",
        "/metrics/{image_id}",
        "/jobs",
        "/jobs/{job_id}",
        "/texts",
        "/texts/{text_id}",
        "/texts/{text_id}/row",
        "/texts/{text_id}/matrix",
        "/texts/{text_id}/stats",
        "/texts/{text_id}/received",
    }
    raw = paths["/attention/{image_id}/raw"]["get"]
    assert set(raw["responses"]["200"]["content"]) == {"application/json", "application/octet-stream"}
    assert {"400", "404", "409", "422", "503"} <= set(raw["responses"])
    shift = paths["/attention/{image_id}/shift"]["get"]
    assert set(shift["responses"]["200"]["content"]) == {"application/json", "application/octet-stream"}
    assert {"400", "404", "409", "422", "503"} <= set(shift["responses"])
