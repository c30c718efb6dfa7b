"""An upload to a gallery on object storage is refused with a 4xx that says what to do instead."""

from __future__ import annotations

import pytest

from app.backend.config import JobLimits
from app.backend.services.jobs import JobRefused, JobRequest, Jobs


def test_upload_to_a_remote_gallery_is_refused_and_names_image_id() -> None:
    jobs = Jobs(None, None, "s3://lab/photos", JobLimits())  # type: ignore[arg-type]  # neither is reached
    request = JobRequest(client="127.0.0.1", upload=b"\x89PNG", image_id=None, prompts=(), models=("m",))
    with pytest.raises(JobRefused) as refused:
        jobs.image(request)
    assert refused.value.status == 409
    assert "image_id" in str(refused.value) and "s3://lab/photos" in str(refused.value)
