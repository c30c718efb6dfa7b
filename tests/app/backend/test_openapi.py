"""Schemathesis: requests generated from the OpenAPI schema; responses must conform to it, never 500.

Generated ids and model keys are random strings (404s); half of the cases swap in real ones,
so that the 200, 400, 409 and 422 responses are checked against the schema too.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.backend.main import create_app
from tests.app.conftest import GOOD_IDS, VLM, VLM_IDS, VLM_PENDING

schemathesis = pytest.importorskip("schemathesis")

PATHS = sorted(create_app().openapi()["paths"])
MODELS = ["clip", "dinov2", "dinov3", "mae", "siglip", "siglip2"]


@pytest.fixture(scope="module")
def operations(app: FastAPI) -> dict[str, Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = [result.ok() for result in schema.get_all_operations()]
    return {operation.path: operation for operation in found}


@pytest.mark.parametrize("path", PATHS)
def test_operation_conforms_to_the_schema(operations: dict[str, Any], path: str) -> None:
    operation = operations[path]
    statuses: Counter[int] = Counter()

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        case=operation.as_strategy(),
        image_id=st.one_of(st.none(), st.sampled_from(GOOD_IDS)),
        model=st.one_of(st.none(), st.sampled_from(MODELS)),
    )
    def check(case: Any, image_id: str | None, model: str | None) -> None:
        if image_id and "image_id" in (case.path_parameters or {}):
            case.path_parameters["image_id"] = image_id
        if model and "model" in (case.path_parameters or {}):
            case.path_parameters["model"] = model
        if model and "model" in (case.query or {}):
            case.query["model"] = model
        # Schema-valid requests can still be 400: what is allowed depends on each model's layout.
        response = case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
        statuses[response.status_code] += 1

    check()
    assert 500 not in statuses


@pytest.fixture(scope="module")
def vlm_operations(vlm_app: FastAPI) -> dict[str, Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", vlm_app)
    found = [result.ok() for result in schema.get_all_operations()]
    return {operation.path: operation for operation in found}


VLM_PATHS = [path for path in PATHS if path.startswith(("/attention", "/models"))]


@pytest.mark.parametrize("path", VLM_PATHS)
def test_operation_conforms_to_the_schema_with_a_vlm(vlm_operations: dict[str, Any], path: str) -> None:
    """The same with a VLM in the store: its ids and model, and tokens that often parse."""
    operation = vlm_operations[path]
    statuses: Counter[int] = Counter()

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        case=operation.as_strategy(),
        image_id=st.one_of(st.none(), st.sampled_from([*VLM_IDS, *VLM_PENDING])),
        model=st.one_of(st.none(), st.sampled_from([VLM, VLM, "dinov2"])),
        token=st.one_of(
            st.none(),
            st.integers(0, 16).map(str),
            st.tuples(st.integers(0, 16), st.integers(0, 16)).map(lambda ab: f"{ab[0]}-{ab[1]}"),
        ),
    )
    def check(case: Any, image_id: str | None, model: str | None, token: str | None) -> None:
        if image_id and "image_id" in (case.path_parameters or {}):
            case.path_parameters["image_id"] = image_id
        if model and "model" in (case.path_parameters or {}):
            case.path_parameters["model"] = model
        if model and "model" in (case.query or {}):
            case.query["model"] = model
        if token and "token" in (case.query or {}):
            case.query["token"] = token
        response = case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
        statuses[response.status_code] += 1

    check()
    assert 500 not in statuses
