"""Response bodies of `/metrics/faithfulness` (schemas.py is full: the faithfulness bodies live here)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AucStat(BaseModel):
    """The mean area under one curve over images, with its bootstrap 95% interval."""

    mean: float
    ci_low: float
    ci_high: float


class FaithfulnessCell(BaseModel):
    """One map of a model (a method's layer, fused or one head; or a baseline) over its images."""

    method: str = Field(description="map method, or a baseline: random, centre (layer 0)")
    layer: int
    head: int | None = Field(description="null: the heads fused (the stored fused map)")
    deletion: AucStat = Field(description="deletion AUC: lower is more faithful")
    insertion: AucStat = Field(description="insertion AUC: higher is more faithful")
    n: int = Field(description="images")


class FaithfulnessModel(BaseModel):
    model: str
    target: str = Field(description="the score the curves record, e.g. embedding-cosine")
    steps: int = Field(description="perturbation steps: every curve has steps + 1 points")
    images: int = Field(description="images with curves")
    cells: list[FaithfulnessCell]


class FaithfulnessSummaryBody(BaseModel):
    """Every model's (or one model's) mean deletion and insertion AUCs by method, layer and head."""

    models: list[FaithfulnessModel]


class FaithfulnessCurve(BaseModel):
    method: str
    layer: int
    head: int | None = Field(description="null: the heads fused")
    deletion_auc: float
    insertion_auc: float
    deletion: list[float] = Field(description="target score after removing 0, 1/k, …, all of the cells")
    insertion: list[float] = Field(description="target score after revealing 0, 1/k, …, all of the cells")


class FaithfulnessImage(BaseModel):
    """One image's curves for one model: every map scored, or those the filters keep."""

    image_id: str
    model: str
    target: str
    steps: int
    curves: list[FaithfulnessCurve]
