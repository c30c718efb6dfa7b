"""Which catalog describes which store: the store's identity, and checking a store path.

A store records its identity, a UUID, in its root attrs (`store_id`); the catalog records the
same UUID and where the store was last opened (`catalog_info`). `pair_store` is called by every
precompute run before it writes: a catalog describes one store, and a run that would mix two is
refused with a message instead of resetting the other store's rows. The rules (`decide`):

| store id | catalog id | what happens |
|---|---|---|
| S | S | the pair: go on (a moved store's new location is recorded) |
| S | C ≠ S | refused: the catalog describes another store |
| none | none | both get a new id: a new pair, or an existing pair from before identities (adopted) — unless the catalog has rows and the store has no model groups (then it is refused: the catalog's rows are another store's) |
| S | none | a catalog with no rows: both get a new id (the store's old catalog, if any, is refused from then on); a catalog with rows: refused |
| none | C | the catalog last saw its store here: this is it (its stamp was lost, or it was recreated here): stamped C. The catalog's store is gone (its last location holds no store with id C) and this store has no model groups: both get a new id. Otherwise refused |

`inspect_store` checks a store path without creating anything (precompute's input checks).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zarr
from zarr.errors import ContainsGroupError

from ssl_attention.store.arrays import StoreError
from ssl_attention.store.catalog import CatalogWriter, StorePairing

STORE_ID = "store_id"  # the root attr holding the store's identity


def is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def local_path(url: str) -> Path:
    return Path(url.removeprefix("file://"))


def location(url: str) -> str:
    """Where a store is, as recorded in the catalog: an absolute path, or the URL of a remote store."""
    return str(local_path(url).expanduser().resolve()) if is_local(url) else url


@dataclass(frozen=True)
class StoreState:
    """What a store path holds, read without creating anything."""

    exists: bool  # a Zarr group is there (its root zarr.json)
    store_id: str | None = None
    models: tuple[str, ...] = ()  # model groups (root subgroups) with readable metadata
    broken: dict[str, str] = field(default_factory=dict)  # group name -> why its metadata is unreadable


def _metadata(path: Path) -> dict[str, Any]:
    """A zarr.json parsed; ValueError saying why when it is not a Zarr v3 node's metadata."""
    try:
        meta = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{type(error).__name__}: {str(error).splitlines()[0]}") from None
    if not isinstance(meta, dict) or meta.get("zarr_format") != 3 or "node_type" not in meta:
        raise ValueError("not Zarr v3 metadata")
    return meta


def _creatable(path: Path) -> None:
    """Raise StoreError unless `path` (absent) could be created as a folder."""
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise StoreError(f"--store {path} cannot be created: {ancestor} is not a folder; give a folder path")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise StoreError(f"--store {path} cannot be created: {ancestor} is not writable")


def inspect_store(url: str) -> StoreState:
    """Check a local store path: a folder that is a Zarr v3 store, an empty folder or a path that
    can be created. Raises StoreError (one line) otherwise; a model group whose own metadata is
    unreadable is reported in `broken` (precompute refuses it unless --force rebuilds it).
    A remote store is only read (its identity and groups), never checked further."""
    if not is_local(url):
        return _inspect_remote(url)
    path = local_path(url).expanduser()
    if not path.exists():
        _creatable(path)
        return StoreState(exists=False)
    if not path.is_dir():
        raise StoreError(f"--store {path} is a file, not a folder; give a new folder or an existing store")
    if not os.access(path, os.W_OK | os.X_OK):
        raise StoreError(f"--store {path} is not writable")
    root = path / "zarr.json"
    if not root.exists():
        return StoreState(exists=False)
    try:
        meta = _metadata(root)
        if meta["node_type"] != "group":
            raise ValueError("an array, not a group")
    except ValueError as error:
        raise StoreError(
            f"--store {path} is not a usable attention store (zarr.json: {error}); "
            "move it away or give another --store"
        ) from None
    attrs = meta.get("attributes") or {}
    store_id = attrs.get(STORE_ID) if isinstance(attrs, dict) else None
    models: list[str] = []
    broken: dict[str, str] = {}
    for child in sorted(path.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        try:
            if _metadata(child / "zarr.json")["node_type"] != "group":
                raise ValueError("an array, not a group")
            models.append(child.name)
        except ValueError as error:
            if (child / "zarr.json").exists():
                broken[child.name] = str(error)
    return StoreState(True, store_id if isinstance(store_id, str) else None, tuple(models), broken)


def _probe_remote(url: str) -> None:
    """Raise StoreError (one line) unless the bucket (or its equivalent) of a remote store answers."""
    try:
        import fsspec  # the `s3` extra: remote stores only

        fs, root = fsspec.core.url_to_fs(url)
        fs.ls(str(root).strip("/").split("/")[0])
    except Exception as error:  # any backend's failure: no bucket, the endpoint, the credentials
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise StoreError(
            f"--store {url} cannot be reached ({type(error).__name__}: {reason}); check the URL, the bucket "
            "and the storage settings (for S3: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
        ) from None


def _inspect_remote(url: str) -> StoreState:
    _probe_remote(url)
    try:
        root = zarr.open_group(store=url, mode="r", zarr_format=3)
        found = root.attrs.get(STORE_ID)
        models = tuple(sorted(name for name, _ in root.groups()))
    except Exception:  # nothing there yet, or nothing readable: the writer will say more
        return StoreState(exists=False)
    return StoreState(True, found if isinstance(found, str) else None, models)


def read_store_id(url: str) -> str | None:
    """The identity in a store's root attrs; None when it has none or cannot be read."""
    if is_local(url):
        try:
            attrs = _metadata(local_path(url).expanduser() / "zarr.json").get("attributes") or {}
        except ValueError:
            return None
    else:
        try:
            attrs = dict(zarr.open_group(store=url, mode="r", zarr_format=3).attrs)
        except Exception:  # a remote store that cannot be read has no identity we can use
            return None
    found = attrs.get(STORE_ID) if isinstance(attrs, dict) else None
    return found if isinstance(found, str) else None


def write_store_id(url: str, store_id: str) -> None:
    """Record `store_id` in the store's root attrs (creating the store's root if needed)."""
    if is_local(url):
        local_path(url).expanduser().mkdir(parents=True, exist_ok=True)
    try:
        root = zarr.open_group(store=url, mode="a", zarr_format=3)
    except ContainsGroupError:  # another run created the root between zarr's look and its create
        root = zarr.open_group(store=url, mode="r+", zarr_format=3)
    if root.attrs.get(STORE_ID) != store_id:
        root.attrs[STORE_ID] = store_id


def _gone(recorded: str | None, store_id: str) -> bool:
    """Whether the store a catalog last saw at `recorded` is gone (no store with its id is there).
    Only a local location can be told gone; a remote one is assumed to be still there."""
    if recorded is None:
        return True
    if "://" in recorded and not recorded.startswith("file://"):
        return False
    return read_store_id(recorded) != store_id


def _short(store_id: str) -> str:
    return store_id[:8]


def decide(
    url: str, current: StorePairing, store: StoreState, new_id: Callable[[], str]
) -> tuple[StorePairing, str | None, str | None]:
    """The pairing rules (see the module's docstring). Returns the pairing the catalog records,
    the id to stamp into the store before the catalog commits (when only the store changes
    first) and the id to stamp after it commits. Raises StoreError when the two do not belong
    together."""
    here = location(url)
    stored, catalogued = store.store_id, current.store_id
    hint = "use this store's own catalog (--db), or a new --db for this store"
    if stored and catalogued:
        if stored != catalogued:
            raise StoreError(
                f"--db describes another store (id {_short(catalogued)}, last at {current.store_url}) "
                f"than --store {url} (id {_short(stored)}); {hint}"
            )
        return StorePairing(catalogued, here, current.has_entries), None, None
    if not stored and not catalogued:
        if current.has_entries and not store.models:
            raise StoreError(
                f"--db holds maps of another store: it has rows but --store {url} has no model groups "
                f"(and neither records an identity yet); {hint}"
            )
        fresh = new_id()
        return StorePairing(fresh, here, current.has_entries), None, fresh
    if stored:  # a store paired before, a catalog that was not
        if current.has_entries:
            raise StoreError(
                f"--store {url} belongs to another catalog (id {_short(stored)}) and --db holds rows "
                f"from before catalogs recorded their store; {hint}"
            )
        fresh = new_id()
        return StorePairing(fresh, here, False), fresh, None
    assert catalogued is not None
    if current.store_url == here:
        return StorePairing(catalogued, here, current.has_entries), None, catalogued
    if not store.models and _gone(current.store_url, catalogued):
        fresh = new_id()
        return StorePairing(fresh, here, current.has_entries), None, fresh
    raise StoreError(
        f"--db describes the store at {current.store_url} (id {_short(catalogued)}), not --store {url}; {hint}"
    )


def pair_store(catalog: CatalogWriter, url: str) -> str:
    """Make sure `catalog` describes the store at `url` (adopting or pairing them per the rules),
    or raise StoreError. Concurrent runs settle one after the other. Returns the pair's id."""
    after: list[str] = []

    def settle(current: StorePairing) -> StorePairing:
        chosen, stamp_before, stamp_after = decide(
            url, current, inspect_store(url), lambda: str(uuid.uuid4())
        )
        if stamp_before is not None:
            write_store_id(url, stamp_before)
        if stamp_after is not None:
            after.append(stamp_after)
        return chosen

    settled = catalog.settle_pairing(settle)
    for store_id in after:  # after the catalog committed: a kill in between is finished next time
        write_store_id(url, store_id)
    assert settled.store_id is not None
    return settled.store_id
