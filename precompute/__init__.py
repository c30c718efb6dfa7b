"""The offline precompute job: `precompute --models all --per-head`."""
