"""`--executor ray` on a local Ray of 2 CPUs: tasks for stateless backends, actors for held models.

Starting Ray and its workers takes most of these tests' time, so they are slow-marked
(`make test-slow`); one Ray is shared by the module.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.batch import run_batch
from agent.context import Context
from agent.executors import Placement, open_executor, run_all
from tests import batch_backends
from tests.test_batch import REQUEST, _generated, _prompts, unregister
from tools.errors import BackendUnavailable

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """A Ray of 2 CPUs; its workers inherit the environment it starts with, so the clip log and
    the load log are set first and shared by the module's tests."""
    folder = tmp_path_factory.mktemp("ray")
    env = {"KINEMA_TEST_LOADS": str(folder / "loads"), "KINEMA_TEST_LOG": str(folder / "log")}
    (folder / "loads").mkdir()
    os.environ.update(env)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield folder
    ray.shutdown()
    for key in env:
        os.environ.pop(key, None)


@pytest.fixture
def backends(local_ray):
    batch_backends.register()
    yield local_ray / "log"
    unregister()


def _square(x: int) -> int:
    return x * x


def test_run_all_keeps_the_order_of_its_arguments(local_ray):
    assert run_all(_square, list(range(6)), kind="ray", workers=2) == [0, 1, 4, 9, 16, 25]


def test_ray_tasks_run_a_batch_exactly_once(local_ray, backends, tmp_path):
    source = _prompts(tmp_path, "a ball falls", "a liquid spreads", "a block slides")
    out = tmp_path / "batch"
    before = _generated(backends)
    summary = run_batch(source, out, context=batch_backends.context(), request=REQUEST,
                        executor="ray", setup=batch_backends.register)
    assert [i["status"] for i in summary["items"]] == ["completed", "failed", "completed"]
    assert summary["batch"]["video_calls"] == summary["batch"]["generations"] == 8
    generated = _generated(backends)
    assert generated - before == 8
    again = run_batch(source, out, context=batch_backends.context(), request=REQUEST,
                      executor="ray", setup=batch_backends.register)
    assert _generated(backends) == generated and again["batch"]["finished"]


def test_held_models_live_in_actors_that_load_once(local_ray, backends, tmp_path):
    source = _prompts(tmp_path, *(f"a ball falls from {k} m" for k in range(1, 7)))
    summary = run_batch(source, tmp_path / "batch", context=batch_backends.context("held", 2),
                        request=REQUEST, executor="ray", workers=2,
                        setup=batch_backends.register)
    assert summary["batch"]["completed"] == 6
    loaders = {p.name: p.read_text().count("loaded") for p in Path(local_ray, "loads").iterdir()}
    assert 1 <= len(loaders) <= 2 and str(os.getpid()) not in loaders  # 2 actors, 6 items
    assert set(loaders.values()) == {1}


def test_a_gpu_batch_on_a_cluster_without_gpus_fails_fast(local_ray):
    with pytest.raises(BackendUnavailable, match="GPU"):
        open_executor("ray", placement=Placement(gpus=1.0, stateful=True))


def test_judge_calibration_on_ray_judges_like_local_workers(local_ray):
    from evals.calibration import run_suite

    local = run_suite(1, 1, seed=0, workers=1, only=["teleport"])
    on_ray = run_suite(1, 1, seed=0, workers=2, only=["teleport"], executor="ray")
    assert on_ray == local


def test_policy_comparison_on_ray_matches_local(local_ray, tmp_path):
    from evals.policies import DEFAULT_PRICE, evaluate, register_priced

    register_priced()
    base = Context(video="priced:studio", out_dir=str(tmp_path / "runs"),
                   options={"video": {"usd": DEFAULT_PRICE}})
    request = {"duration_s": 1.0, "fps": 12, "width": 160, "height": 96}
    args = (["a rubber ball is dropped from 1.5 m onto a wooden floor and bounces"], [0], base,
            request, DEFAULT_PRICE)
    (on_ray,), (local,) = evaluate(*args, executor="ray"), evaluate(*args)
    scores = {name: (o.best, o.calls, o.usd) for name, o in local.outcomes.items()}
    assert {name: (o.best, o.calls, o.usd) for name, o in on_ray.outcomes.items()} == scores
