"""Where a run writes: the store and the catalog, checked before anything is created, then opened
and paired (a catalog describes one store: `ssl_attention.store.identity`).

    check_outputs: the catalog URL (valid, supported, reachable, a readable database) and the
        store path (a folder that is a store, an empty folder or a creatable path; model groups
        whose metadata is unreadable are refused unless --force rebuilds them) — nothing created
    open_outputs: create/upgrade the catalog, pair it with the store, open the store; with
        --force, remove the chosen models' groups whose metadata is unreadable (under their lock)
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from precompute.options import RunError, RunOptions
from ssl_attention.store.arrays import AttentionStoreWriter, StoreError
from ssl_attention.store.catalog import CatalogUnavailable, CatalogWriter, probe_catalog
from ssl_attention.store.identity import StoreState, inspect_store, local_path, pair_store


def check_outputs(options: RunOptions, names: Sequence[str]) -> StoreState:
    """Raise RunError (one line) unless the catalog and the store can be used; creates nothing."""
    try:
        probe_catalog(options.db)
    except CatalogUnavailable as error:
        raise RunError(error.message) from None
    try:
        state = inspect_store(options.store)
    except StoreError as error:
        raise RunError(str(error)) from None
    broken = {name: why for name, why in state.broken.items() if name in names}
    if broken and not options.force:
        name, why = next(iter(broken.items()))
        raise RunError(
            f"--store {options.store}: the group of model '{name}' has unreadable metadata "
            f"({name}/zarr.json: {why}); rerun with --force to rebuild it"
        )
    return state


def open_outputs(options: RunOptions, names: Sequence[str]) -> tuple[CatalogWriter, AttentionStoreWriter]:
    """The run's catalog (created or upgraded) and store, paired; RunError when they cannot be."""
    state = check_outputs(options, names)
    try:
        catalog = CatalogWriter.open(options.db)
    except CatalogUnavailable as error:
        raise RunError(error.message) from None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or type(error).__name__).strip().splitlines()
        raise RunError(f"--db: the catalog cannot be opened ({reason[0] if reason else error})") from None
    try:
        pair_store(catalog, options.store)
        store = AttentionStoreWriter(options.store)
        for name in names:
            if name in state.broken:  # only with --force (check_outputs refused it otherwise)
                with store.model_lock(name):
                    shutil.rmtree(local_path(options.store).expanduser() / name)
    except BaseException:
        catalog.close()
        raise
    return catalog, store
