"""Print the API's OpenAPI schema (`app.openapi()` of app/backend/main.py) as JSON.

    ../../.venv/bin/python scripts/openapi.py > openapi.json

`npm run types` runs it and turns the schema into src/api/schema.gen.ts (openapi-typescript);
`npm run types:check` fails when that file is stale. Importing the API needs no store, no
catalog and no torch: nothing is opened until a request needs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(REPO), str(REPO / "src")]


def main() -> None:
    from app.backend.main import app

    if "torch" in sys.modules:
        sys.exit("scripts/openapi.py: importing app.backend.main imported torch; the API must not")
    json.dump(app.openapi(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
