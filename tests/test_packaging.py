"""Packaging: building the project's metadata prints no deprecation (the SPDX `license` string)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from email.parser import Parser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_license_is_an_spdx_string() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"


def test_building_the_metadata_prints_no_license_deprecation(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    ignore = shutil.ignore_patterns("node_modules", "dist", "__pycache__", "*.egg-info", "frontend")
    for folder in ("src", "precompute", "app"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    out = tmp_path / "metadata"
    out.mkdir()
    code = (
        "import sys\nfrom setuptools import build_meta\n"
        "print(build_meta.prepare_metadata_for_build_wheel(sys.argv[1]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", code, str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout + result.stderr
    assert "deprecat" not in printed.lower(), printed
    metadata = Parser().parsestr((out / result.stdout.strip().splitlines()[-1] / "METADATA").read_text())
    assert metadata["License-Expression"] == "MIT"
    assert any("fastapi-offline" in r for r in metadata.get_all("Requires-Dist", []))
