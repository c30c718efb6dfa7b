"""What text capture costs (`precompute --texts`): time and peak memory of the capture beside the
plain forward pass and eager `output_attentions`, and the bytes a stored text takes.

    python bench/bench_texts.py speed --tokens 2048 8192 --rounds 3
    python bench/bench_texts.py speed --tokens 2048 8192 --rounds 2 --layers 4 --heads 16 \
        --kv-heads 8 --hidden 1024 --head-dim 128 --intermediate 3072   # Qwen3-0.6B's layer shape
    python bench/bench_texts.py budget --tokens 2000 --layers 28 --heads 16 [--max-keys K]

`speed`: a random Llama-style model (`--layers`, `--heads`, `--hidden`, `--kv-heads` (default
half the heads), `--head-dim` (default hidden / heads), `--intermediate` (default 2 × hidden)),
one sequence of N random token ids. Each mode runs in its own child process (peak
memory = the child's peak RSS above its state after the model is built and one short warm-up),
the modes in turn, `--rounds` times; reported are the median times and their ratio to the plain
forward. Modes: `plain` (sdpa, no capture), `capture` (the `ssl_capture` backend with a
`TextRecorder`, fused + per head, layers handed to a no-op sink: the store's write is measured by
`budget`), `eager` (`output_attentions=True`; skipped where L × H × N × N float32 exceeds
`--eager-max-gb`). The load average is printed before and after (the machine is shared). Where
the time goes: `python bench/bench_texts.py child capture N LAYERS HEADS KV_HEADS HIDDEN HEAD_DIM
INTERMEDIATE profile` prints torch.profiler's table on stderr.

`budget`: a random Qwen3-style model of the given layers × heads (head_dim 8, hidden 64: the
attention shape is what counts) with the q and k norms' weights scaled by `--sharpen` (logits ×
sharpen²; a random init's softmax is near-uniform, the worst case for kept keys), one text of N tokens run through the real path
(`precompute --texts`, `--per-head`, default keep mass, precompute's default max keys or `--max-keys`), and the bytes
of its group, with the bytes of each kind of layer array summed over the layers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(mode: str, tokens: int, shape: list[int], profile: bool = False) -> dict[str, float]:
    import torch
    import transformers as T

    from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION
    from ssl_attention.attention.text import TextRecorder

    layers, heads, kv_heads, hidden, head_dim, intermediate = shape
    torch.manual_seed(0)
    config = T.LlamaConfig(
        vocab_size=1000,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        head_dim=head_dim,
        max_position_embeddings=max(tokens, 128),
    )
    implementation = {
        "plain": "sdpa",
        "capture": CAPTURE_IMPLEMENTATION,
        "capture-torch": CAPTURE_IMPLEMENTATION,
        "eager": "eager",
    }[mode]
    model = T.AutoModelForCausalLM.from_config(config, attn_implementation=implementation).eval()
    decoder = model.get_decoder()
    ids = torch.randint(0, 1000, (1, tokens))

    def forward(x: torch.Tensor) -> None:
        with torch.no_grad():
            if mode == "eager":
                decoder(input_ids=x, use_cache=False, output_attentions=True)
            elif mode.startswith("capture"):
                recorder = TextRecorder(
                    [layer.self_attn for layer in decoder.layers],
                    x,
                    lambda layer, rows: None,
                    keep_mass=0.99,
                    max_keys=32,
                    per_head=True,
                    block=max(1, 1 << max(0, (x.shape[1] - 1).bit_length() - 7)),
                    fold="torch" if mode == "capture-torch" else "auto",
                )
                with recorder.recording():
                    decoder(input_ids=x, use_cache=False)
            else:
                decoder(input_ids=x, use_cache=False)

    forward(ids[:, :64])  # warm-up
    if profile:  # where the time goes: torch.profiler's table on stderr
        from torch.profiler import ProfilerActivity
        from torch.profiler import profile as profiler

        with profiler(activities=[ProfilerActivity.CPU]) as prof:
            forward(ids)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25), file=sys.stderr)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    forward(ids)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mb": max(0, peak - before) / 1024}


def run_child(mode: str, args: argparse.Namespace, tokens: int) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "child",
        mode,
        str(tokens),
        *map(str, shape(args)),
    ]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "OMP_NUM_THREADS": str(args.threads)}
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def shape(args: argparse.Namespace) -> list[int]:
    """layers, heads, key heads, hidden, head_dim, intermediate (defaults from --hidden, --heads)."""
    kv_heads = args.kv_heads or max(1, args.heads // 2)
    head_dim = args.head_dim or args.hidden // args.heads
    intermediate = args.intermediate or args.hidden * 2
    return [args.layers, args.heads, kv_heads, args.hidden, head_dim, intermediate]


def speed(args: argparse.Namespace) -> None:
    layers, heads, kv_heads, hidden, head_dim, intermediate = shape(args)
    print(
        f"model: {layers} layers × {heads} heads ({kv_heads} key heads, head_dim {head_dim}), hidden {hidden}, "
        f"intermediate {intermediate}; {args.threads} threads; load average {os.getloadavg()[0]:.1f}"
    )
    print("| tokens | mode | time (median) | × plain | peak memory above the model | × plain |")
    print("|---|---|---|---|---|---|")
    for tokens in args.tokens:
        eager_gb = args.layers * args.heads * tokens * tokens * 4 / 2**30
        modes = ["plain", "capture"] + (["capture-torch"] if args.torch_fold else [])
        modes += ["eager"] if eager_gb <= args.eager_max_gb else []
        found: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
        for _ in range(args.rounds):
            for mode in modes:
                found[mode].append(run_child(mode, args, tokens))
        base_t = statistics.median(r["seconds"] for r in found["plain"])
        base_m = statistics.median(r["peak_mb"] for r in found["plain"])
        for mode in modes:
            t = statistics.median(r["seconds"] for r in found[mode])
            m = statistics.median(r["peak_mb"] for r in found[mode])
            print(
                f"| {tokens} | {mode} | {t:.2f} s | {t / base_t:.2f} | {m:.0f} MB | {m / max(base_m, 1):.2f} |"
            )
        if "eager" not in modes:
            print(f"| {tokens} | eager | skipped: L×H×N×N float32 = {eager_gb:.1f} GB | | | |")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def budget(args: argparse.Namespace) -> None:
    import torch
    import transformers as T

    from precompute.cli import main
    from ssl_attention.store.arrays import directory_bytes

    tokens = args.tokens[0]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        config = T.Qwen3Config(
            vocab_size=384,
            hidden_size=64,
            head_dim=8,
            intermediate_size=128,
            num_hidden_layers=args.layers,
            num_attention_heads=args.heads,
            num_key_value_heads=max(1, args.heads // 2),
            max_position_embeddings=tokens + 16,
            eos_token_id=382,
        )
        torch.manual_seed(0)
        model = T.AutoModelForCausalLM.from_config(config)
        with torch.no_grad():
            for name, param in model.named_parameters():
                if "q_norm.weight" in name or "k_norm.weight" in name:  # Qwen3 normalises q and k per head
                    param.mul_(args.sharpen)  # logits × sharpen²
        model.save_pretrained(tmp / "model")
        text = " ".join(f"word{i % 97}" for i in range(tokens * 2))[
            : tokens - 2
        ]  # byte tokens: ~1 per character
        (tmp / "texts.jsonl").write_text(json.dumps({"id": "t", "text": text}) + "\n")
        started = time.perf_counter()
        code = main(
            [
                *("--models", "b", "--variant", "b=causal_lm", "--checkpoint", f"b={tmp / 'model'}"),
                *("--weights", "random", "--texts", str(tmp / "texts.jsonl"), "--per-head", "--quiet"),
                *("--store", str(tmp / "store.zarr"), "--db", f"sqlite:///{tmp / 'c.db'}", "--device", "cpu"),
                *(["--max-keys", str(args.max_keys)] if args.max_keys else []),
            ]
        )
        seconds = time.perf_counter() - started
        assert code == 0
        from ssl_attention.store.texts import TextAttentionReader

        info = TextAttentionReader(str(tmp / "store.zarr")).info("b", "t")
        group = directory_bytes(tmp / "store.zarr" / "b" / "texts" / "t")
        arrays: dict[str, int] = {}
        for layer in (tmp / "store.zarr" / "b" / "texts" / "t" / "layers").iterdir():
            for array in layer.iterdir() if layer.is_dir() else ():
                if array.is_dir():
                    arrays[array.name] = arrays.get(array.name, 0) + directory_bytes(array)
        kept = info.max_keys
        print(
            f"| {info.n_tokens} | {args.layers} × {args.heads} | {args.sharpen} | {kept} | {group / 2**20:.1f} MB | "
            f"{group / info.n_tokens * 1000 / 2**20:.2f} MB | {seconds:.0f} s |"
        )
        print(
            "per array, all layers (MB): "
            + ", ".join(f"{k} {v / 2**20:.2f}" for k, v in sorted(arrays.items()))
        )


def main() -> None:
    if sys.argv[1:2] == [
        "child"
    ]:  # child MODE TOKENS LAYERS HEADS KV_HEADS HIDDEN HEAD_DIM INTERMEDIATE [profile]
        mode, tokens, numbers = sys.argv[2], int(sys.argv[3]), [int(x) for x in sys.argv[4:10]]
        print(json.dumps(child(mode, tokens, numbers, profile=sys.argv[10:11] == ["profile"])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("speed", "budget"))
    parser.add_argument("--tokens", type=int, nargs="+", default=[2048, 8192])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--kv-heads", type=int, default=0, help="speed: key heads (0: heads / 2)")
    parser.add_argument("--head-dim", type=int, default=0, help="speed: head_dim (0: hidden / heads)")
    parser.add_argument("--intermediate", type=int, default=0, help="speed: MLP width (0: 2 × hidden)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--torch-fold",
        action="store_true",
        help="speed: also the capture with the torch fold (capture-torch)",
    )
    parser.add_argument("--eager-max-gb", type=float, default=4.0)
    parser.add_argument("--sharpen", type=float, default=1.0)
    parser.add_argument(
        "--max-keys", type=int, default=0, help="budget: precompute's --max-keys (0: its default)"
    )
    args = parser.parse_args()
    speed(args) if args.what == "speed" else budget(args)


if __name__ == "__main__":
    main()
