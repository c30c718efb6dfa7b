"""What identifies a PEFT adapter record in a group's attrs (`precompute --adapter`)."""

from __future__ import annotations

from typing import Any


def adapter_identity(adapter: dict[str, Any] | None) -> str | None:
    """What must match of an adapter record (`precompute --adapter`: source, peft_type, r, alpha,
    target_modules, base_model, sha256, merged) for a group to be extended: all but the source."""
    if adapter is None:
        return None
    return (
        f"{adapter.get('peft_type')} r={adapter.get('r')} alpha={adapter.get('alpha')} "
        f"targets={adapter.get('target_modules')} sha256={str(adapter.get('sha256'))[:16]} "
        f"{'merged' if adapter.get('merged', True) else 'unmerged'}"
    )
