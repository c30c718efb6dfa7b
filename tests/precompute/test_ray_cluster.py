"""`precompute --executor ray --ray-address ADDRESS` on a cluster of two nodes (`ray.cluster_utils.Cluster`
on this machine: a head and a second node, one CPU each): the model actors, which ask for 0.75 CPU
here so that one node holds one actor only, run on both nodes, and the store and catalog are those
of `--executor local`, byte for byte."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from precompute import ray_executor
from precompute.runner import run
from tests.conftest import write_gallery
from tests.precompute.test_cli import options as vit_options
from tests.precompute.test_ray_executor import assert_same

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")


def test_two_nodes_share_the_actors_and_the_result_is_local_s(
    tmp_path: Path,
    tiny_checkpoints: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(ray_executor.NICENESS_ENV, "0")  # the nodes' workers not niced (a busy machine)
    monkeypatch.setattr(ray_executor, "CPU_ACTOR", 0.75)  # one actor per 1-CPU node, decode beside
    assert not ray.is_initialized()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each CPU actor computes (float32 reductions follow the thread count)
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        for name in ("local", "ray"):
            write_gallery(tmp_path / name / "images")
        local = vit_options(tmp_path / "local", tiny_checkpoints, ["dinov2"], shard_size=2)
        on_ray = vit_options(
            tmp_path / "ray", tiny_checkpoints, ["dinov2"], shard_size=2, executor="ray",
            ray_address=cluster.address, ray_actors=2,
        )  # fmt: skip
        run(local)
        with caplog.at_level(logging.INFO, logger=ray_executor.__name__):
            summary = run(on_ray).models[0]
        assert (summary.done, len(summary.failed)) == (6, 2)
        # Where Ray placed the pool's actors (the GCS's actor table keeps them after they ended).
        from ray._private import state

        placed = [
            actor["Address"]["NodeID"]
            for actor in state.actors().values()
            if "ModelActor" in actor["ActorClassName"]
        ]
        assert len(placed) == 2 and set(placed) == {node["NodeID"] for node in ray.nodes()}
        assert any("dinov2: 2 model actor(s), their reports from" in m for m in caplog.messages)
        assert_same(local, on_ray, ["dinov2"])
    finally:
        ray.shutdown()
        cluster.shutdown()
        torch.set_num_threads(threads)
