"""In capture mode a text layer's output is P · V of the probabilities the recorder computes
(attention once, not sdpa and a recomputation): the logits of a recorded forward pass equal the
plain sdpa forward's (an independent kernel) for Llama-, Qwen2- (sliding-window layers) and
Qwen3-style tiny models with grouped query heads, in one chunk and in many."""

from __future__ import annotations

import pytest
import torch
import transformers as T

from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION
from ssl_attention.attention.text import TextRecorder
from ssl_attention.values import TextLayer
from tests.tiny_lms import tiny_lm_configs

N = 40  # > WINDOW (8): the Qwen2-style sliding-window layers mask keys


@pytest.mark.parametrize("family", ["llama", "qwen2", "qwen3"])
@pytest.mark.parametrize("chunk_bytes", [64 * 2**20, 5 * 40 * 24 * 3])  # one chunk; 3 rows a chunk
def test_recorded_logits_are_the_plain_forward(family, chunk_bytes, monkeypatch):
    config = tiny_lm_configs(320)[family]
    torch.manual_seed(3)
    plain = T.AutoModelForCausalLM.from_config(config, attn_implementation="sdpa").eval()
    with torch.no_grad():  # sharper attention than a random init's near-uniform softmax
        for name, param in plain.named_parameters():
            if "q_proj.weight" in name or "k_proj.weight" in name:
                param.mul_(6.0)
    captured = T.AutoModelForCausalLM.from_config(config, attn_implementation=CAPTURE_IMPLEMENTATION).eval()
    captured.load_state_dict(plain.state_dict())
    ids = torch.randint(0, 320, (1, N), generator=torch.Generator().manual_seed(5))
    layers: list[TextLayer] = []
    recorder = TextRecorder(
        [layer.self_attn for layer in captured.model.layers],
        ids,
        lambda layer, rows: layers.append(rows),
        keep_mass=0.9,
        max_keys=8,
        per_head=True,
        block=4,
        query_chunk_bytes=chunk_bytes,
    )
    computed: list[bool] = []  # the recorder, not sdpa, computed each layer's output
    attend = recorder.attend

    def counting(*args: object) -> torch.Tensor | None:
        out = attend(*args)  # type: ignore[arg-type]
        computed.append(out is not None)
        return out

    monkeypatch.setattr(recorder, "attend", counting)
    with torch.no_grad():
        want = plain(ids).logits
        with recorder.recording():
            got = captured(ids).logits
        unrecorded = captured(ids).logits  # outside a recording the backend is plain sdpa
    assert len(layers) == config.num_hidden_layers
    assert computed == [True] * config.num_hidden_layers
    assert want.abs().max() > 0.1  # logits of a scale where a wrong output would show
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(unrecorded, want, rtol=0, atol=0)
