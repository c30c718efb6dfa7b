"""Who may see what of the catalog: its ORM rows stay inside the package, its records and the
shared values import no SQLAlchemy, and the API's metrics modules speak records only."""

from __future__ import annotations

import ast
from pathlib import Path

import ssl_attention.store.catalog as catalog

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "src" / "ssl_attention" / "store" / "catalog"
MIGRATIONS = ROOT / "src" / "ssl_attention" / "store" / "migrations"
ROW_NAMES = {
    "Base",
    "ImageRow",
    "RunRow",
    "EntryRow",
    "AnnotationRow",
    "MetricRow",
    "MetricSummaryRow",
    "VlmSampleRow",
}


def imports(path: Path) -> list[tuple[str, set[str]]]:
    """(module, names imported from it) for every import statement of a file."""
    found: list[tuple[str, set[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, set()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, {alias.name for alias in node.names}))
    return found


def sources() -> list[Path]:
    return [
        path
        for folder in (ROOT / "src", ROOT / "precompute", ROOT / "app" / "backend")
        for path in folder.rglob("*.py")
    ]


def test_orm_rows_stay_inside_the_catalog_package() -> None:
    assert len(sources()) > 50
    for path in sources():
        if path.is_relative_to(PACKAGE) or path.is_relative_to(MIGRATIONS):
            continue
        for module, names in imports(path):
            assert not module.startswith("ssl_attention.store.catalog.schema"), path
            if module == "ssl_attention.store.catalog":
                assert not names & ROW_NAMES, f"{path} imports {names & ROW_NAMES}"
    assert not ROW_NAMES & set(dir(catalog)) and not ROW_NAMES & set(catalog.__all__)


def test_records_and_values_import_no_sqlalchemy() -> None:
    for path in (PACKAGE / "records.py", ROOT / "src" / "ssl_attention" / "values.py"):
        modules = [module for module, _names in imports(path)]
        assert modules and not [m for m in modules if m.split(".")[0] == "sqlalchemy"], path


def test_the_api_metrics_modules_read_records_only() -> None:
    for path in (ROOT / "app/backend/routers/metrics.py", ROOT / "app/backend/services/metrics.py"):
        for module, _names in imports(path):
            assert module.split(".")[0] != "sqlalchemy", path
            if module.startswith("ssl_attention.store.catalog"):
                assert module == "ssl_attention.store.catalog.records", path
