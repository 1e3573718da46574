"""The leaderboard survives failures: a process worker killed mid-run, a Ray cluster of several nodes that loses
one, a Ray address that does not answer. Every test compares ``leaderboard.json`` byte for byte with an
undisturbed serial run and checks that ``episodes.jsonl`` holds each episode once.

The fake tables and agents are those of ``test_leaderboard_runner`` (its autouse ``fake_games`` fixture is
imported here, so it applies to these tests too).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from test_leaderboard_runner import Fixed, fake_games, make_fixed, run  # noqa: F401  (fake_games: autouse fixture)

from botarena.agents.common import registry
from botarena.agents.leaderboard import cli, runner

EPISODES = 2  # seeds per table: 30 five-seat FFA episodes and 8 solo ones, enough to be mid-run when one dies


class DiesInAWorker(Fixed):
    """Plays like ``Fixed``, but SIGKILLs the worker process playing it (never the test's own process).

    ``once``: only the first worker to reach ``after_acts`` acts dies (the marker file says one already has),
    as a worker killed by the OOM killer would. Otherwise every worker that plays it dies, as one that crashes
    in native code would.
    """

    def __init__(self, *, parent_pid: int, marker: str, once: bool, after_acts: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.parent_pid, self.marker, self.once, self.after_acts = parent_pid, marker, once, after_acts
        self.acts: Counter[int] = Counter()  # per process: forked workers inherit the parent's copy and its count

    def act(self, obs):
        self.acts[os.getpid()] += 1
        if os.getpid() != self.parent_pid and self.acts[os.getpid()] >= self.after_acts and self._claim():
            os.kill(os.getpid(), signal.SIGKILL)
        return super().act(obs)

    def _claim(self) -> bool:
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))  # atomic: two workers cannot both be first
        except FileExistsError:
            return not self.once
        return True


class StallsOnTheFirstRayNode(Fixed):
    """Plays like ``Fixed``, a little slowly in Ray workers; the first Ray worker to play it writes its node's id
    to ``stall_marker`` and stalls, so that its batch can only finish if Ray plays it again on another node."""

    def __init__(self, *, parent_pid: int, stall_marker: str, seconds: float, **kwargs):
        super().__init__(**kwargs)
        self.parent_pid, self.stall_marker, self.seconds = parent_pid, stall_marker, seconds

    def act(self, obs):
        if os.getpid() != self.parent_pid:
            time.sleep(600 if self._claim() else self.seconds)
        return super().act(obs)

    def _claim(self) -> bool:
        import ray

        try:
            marker = os.open(self.stall_marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        os.write(marker, ray.get_runtime_context().get_node_id().encode())
        os.close(marker)
        return True


def make_dies_in_a_worker(**kwargs):
    return DiesInAWorker(**kwargs)


def make_stalls_on_the_first_ray_node(**kwargs):
    return StallsOnTheFirstRayNode(**kwargs)


def replace_agent(name: str, factory: str, **kwargs) -> None:
    """Register ``name`` again with another factory (``fake_games`` gave this test its own registry copy)."""
    registry._REGISTRY.pop(name)
    registry.register_agent(name, f"{__name__}:{factory}", parent_pid=os.getpid(), **kwargs)
    runner._AGENT_CACHE.pop(name, None)


AGENTS = "fakeffa/strong,fakeffa/middle,fakeffa/weak,fakesolo/good,fakesolo/bad"


def planned_keys(table: str) -> set[str]:
    return {job.key for job in runner.plan_jobs(table, [a for a in AGENTS.split(",") if a.startswith(f"{table}/")],
                                                EPISODES)}


def assert_each_episode_once(out: Path) -> None:
    rows = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    assert max(Counter((row["key"], row["seat"]) for row in rows).values()) == 1
    assert {row["key"] for row in rows} == planned_keys("fakeffa") | planned_keys("fakesolo")


_SERIAL: list[bytes] = []


def undisturbed_leaderboard(tmp_path: Path) -> bytes:
    """``leaderboard.json`` of a serial run of ``AGENTS`` (the agents that kill or stall in a worker play
    normally there). Played by the first test that asks and kept: every test here compares with the same run."""
    if not _SERIAL:
        run(tmp_path / "serial", agents=AGENTS, episodes=EPISODES)
        _SERIAL.append((tmp_path / "serial" / "leaderboard.json").read_bytes())
    return _SERIAL[0]


# ---------------------------------------------------------------------- process backend
def test_a_worker_killed_mid_run_is_replaced_and_the_results_match_an_undisturbed_run(tmp_path, capsys):
    marker = tmp_path / "a worker died"
    # fakeffa/weak sits at every FFA table: its worker dies after a few finished episodes.
    replace_agent("fakeffa/weak", "make_dies_in_a_worker", marker=str(marker), once=True, after_acts=5)
    run(tmp_path / "process", backend="process", episodes=EPISODES)
    assert marker.exists(), "no worker was killed: the test tested nothing"
    assert "A worker process died; " in capsys.readouterr().err
    assert (tmp_path / "process" / "leaderboard.json").read_bytes() == undisturbed_leaderboard(tmp_path)
    assert_each_episode_once(tmp_path / "process")


def test_an_episode_that_kills_every_worker_stops_after_the_bounded_restarts_and_a_rerun_resumes(tmp_path, capsys):
    # fakesolo/bad's episodes are planned after every FFA one; with one worker, which plays the jobs in that order,
    # every FFA episode finishes before the first death (with two, a death could take an FFA episode in flight).
    replace_agent("fakesolo/bad", "make_dies_in_a_worker", marker=str(tmp_path / "marker"), once=False)
    out = tmp_path / "process"
    with pytest.raises(runner.WorkerLost, match=f"died {runner.MAX_POOL_RESTARTS + 1} times.*same --out"):
        cli.run_leaderboard(tables=["fakeffa", "fakesolo"], agents_arg=AGENTS, episodes=EPISODES, quick=False,
                            backend="process", out=out, workers=1, progress=False, argv=["test"])
    assert capsys.readouterr().err.count("A worker process died") == runner.MAX_POOL_RESTARTS
    rows = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    kept = Counter((row["key"], row["seat"]) for row in rows)
    assert max(kept.values()) == 1 and not any(row["agent"] == "fakesolo/bad" for row in rows)
    assert {row["key"] for row in rows if row["table"] == "fakeffa"} == planned_keys("fakeffa")
    # Once the crash is fixed, a rerun with the same --out plays only the rest.
    registry._REGISTRY.pop("fakesolo/bad")
    registry.register_agent("fakesolo/bad", f"{make_fixed.__module__}:make_fixed")
    runner._AGENT_CACHE.pop("fakesolo/bad", None)
    run(out, backend="process", episodes=EPISODES)
    assert (out / "leaderboard.json").read_bytes() == undisturbed_leaderboard(tmp_path)
    assert_each_episode_once(out)


# ---------------------------------------------------------------------- Ray on a cluster
@pytest.fixture(scope="module")
def ray_cluster():
    """A head that plays nothing and two one-CPU worker nodes, all on this machine."""
    pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_AUTH_MODE", "disabled")
        # Nodes start their workers with this environment: the workers import the fake games from here.
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                                os.environ.get("PYTHONPATH")])))
        small = {"object_store_memory": 80 * 2**20}
        # A node that dies without a word is declared dead after health_check_failure_threshold missed checks:
        # Ray's defaults (every 3 s, 5 misses) would add about 15 s to the node-loss test, these about 6 s. Not
        # fewer misses: on a busy 2-core machine a starved but healthy node could be declared dead too.
        quick_death = {"health_check_period_ms": 1000, "health_check_timeout_ms": 2000,
                       "health_check_failure_threshold": 6}
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False,
                                                                "_system_config": quick_death, **small})
        try:
            for _ in range(2):
                cluster.add_node(num_cpus=1, **small)
            cluster.wait_for_nodes()
            yield cluster
        finally:
            cluster.shutdown()


def test_a_ray_cluster_of_several_nodes_writes_the_serial_results(tmp_path, ray_cluster):
    import ray

    out = tmp_path / "ray"
    try:
        cli.run_leaderboard(tables=["fakeffa", "fakesolo"], agents_arg=AGENTS, episodes=EPISODES, quick=False,
                            backend="ray", out=out, ray_address=ray_cluster.address, progress=False, argv=["test"])
        assert not ray.is_initialized()  # the runner connected to the address, so it disconnects at the end
    finally:
        ray.shutdown()
    assert (out / "leaderboard.json").read_bytes() == undisturbed_leaderboard(tmp_path)
    assert_each_episode_once(out)


def test_a_ray_node_lost_mid_run_loses_nothing(tmp_path, ray_cluster):
    import ray

    ray_cluster.add_node(num_cpus=1, object_store_memory=80 * 2**20)  # two nodes are left when one is lost
    stall_marker = tmp_path / "stalled node"
    # fakeffa/strong sits at every FFA table: the first node to play it stalls, and is lost mid-batch.
    replace_agent("fakeffa/strong", "make_stalls_on_the_first_ray_node", stall_marker=str(stall_marker),
                  seconds=0.05)
    lost = []

    def remove_the_stalled_node() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not lost:
            stalled = stall_marker.read_text() if stall_marker.exists() else ""
            for node in list(ray_cluster.worker_nodes):
                if stalled and node.node_id == stalled:
                    ray_cluster.remove_node(node, allow_graceful=False)  # as a machine that fails, not one drained
                    lost.append(node)
            time.sleep(0.05)

    remover = threading.Thread(target=remove_the_stalled_node)
    # The user's own session: the runner must use it and leave it running.
    ray.init(address=ray_cluster.address, include_dashboard=False, log_to_driver=False)
    try:
        remover.start()
        cli.run_leaderboard(tables=["fakeffa", "fakesolo"], agents_arg=AGENTS, episodes=EPISODES, quick=False,
                            backend="ray", out=tmp_path / "ray", progress=False, argv=["test"])
        assert ray.is_initialized()
    finally:
        remover.join()
        ray.shutdown()
    assert lost and len(ray_cluster.worker_nodes) == 2
    assert (tmp_path / "ray" / "leaderboard.json").read_bytes() == undisturbed_leaderboard(tmp_path)
    assert_each_episode_once(tmp_path / "ray")


def test_a_ray_address_that_does_not_answer_is_named_in_a_prompt_error():
    ray = pytest.importorskip("ray")
    assert not ray.is_initialized()
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    job = runner.plan_jobs("fakesolo", ["fakesolo/good"], 1)[0]
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match=f"no Ray cluster answers at --ray-address {address}"):
        next(runner.run_jobs([job], "ray", ray_address=address))
    assert time.perf_counter() - start < 60  # ray.init alone retries such an address for many minutes
    with pytest.raises(ValueError, match="HOST:PORT"):
        next(runner.run_jobs([job], "ray", ray_address="headnode"))
    assert not ray.is_initialized()


def test_the_command_says_an_unanswered_ray_address_in_one_line(tmp_path, capsys):
    pytest.importorskip("ray")
    from botarena.agents.cli import main

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    code = main(["leaderboard", "--games", "tick_duel", "--agents", "tick_duel/random", "--episodes", "1",
                 "--backend", "ray", "--ray-address", address, "--out", str(tmp_path / "lb")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"botarena leaderboard: error: no Ray cluster answers at --ray-address {address}" in err
    assert "Traceback" not in err
