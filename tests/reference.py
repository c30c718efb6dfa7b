"""Independent reference: the stored maps computed from eager `output_attentions=True`, in float64 numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ssl_attention.models.token_layout import TokenLayout


def maps_from_attentions(attentions: Sequence[torch.Tensor], layout: TokenLayout) -> dict[str, np.ndarray]:
    """attentions: L tensors (B, H, N, N) → {array path: (B, L, [H,] P)} by the design's definitions."""
    a = np.stack([t.detach().double().cpu().numpy() for t in attentions], axis=1)  # (B, L, H, N, N)
    batch, layers, _heads, tokens, _ = a.shape
    patches = slice(layout.n_prefix, tokens)
    out: dict[str, np.ndarray] = {}
    if layout.has_cls:
        out["cls/heads"] = a[:, :, :, 0, patches]
        out["cls/fused"] = out["cls/heads"].mean(axis=2)
    out["mean/heads"] = a[:, :, :, :, patches].mean(axis=3)
    out["mean/fused"] = out["mean/heads"].mean(axis=2)
    if layout.n_prefix:
        source = a[:, :, :, 0, :] if layout.has_cls else a.mean(axis=3)
        out["prefix/heads"] = source[..., : layout.n_prefix]
    identity = np.eye(tokens)
    product = np.broadcast_to(identity, (batch, tokens, tokens)).copy()
    rollout = []
    for layer in range(layers):
        product = (0.5 * a[:, layer].mean(axis=1) + 0.5 * identity) @ product
        rollout.append(product[:, 0, patches] if layout.has_cls else product[:, :, patches].mean(axis=1))
    out["rollout/fused"] = np.stack(rollout, axis=1)
    return out
