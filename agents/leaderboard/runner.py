"""Plan evaluation episodes, play them on a backend, and keep every finished one on disk.

An episode is a :class:`Job`: a table, a committed evaluation seed of its game, and the agent in each
seat. Jobs are planned in a fixed order and every finished episode is appended (and flushed) to
``episodes.jsonl`` before the next is counted, so Ctrl-C loses at most the episodes in flight and a rerun
with the same ``--out`` plays only what is missing. Rows are sorted before aggregation, so the serial, process and
Ray backends write byte-identical results.

Failures short of the driver's own death do not stop a run. A process worker that dies (killed, out of memory,
a crash in native code) breaks its pool: the finished episodes are kept and the unfinished ones go to a fresh
pool, at most ``MAX_POOL_RESTARTS`` times a run. On Ray, a batch lost with its worker or node is retried by Ray
(``RAY_TASK_RETRIES``) on the nodes left. Beyond those bounds the run stops with :class:`WorkerLost`, and a rerun
with the same ``--out`` resumes.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .games import GAME_ADAPTERS, AgentFailure, GameAdapter
from .seeds import agent_seed, eval_seeds

__all__ = ["Job", "plan_jobs", "play_job", "run_jobs", "read_rows", "warm_tables", "checkpoint_hash", "BACKENDS",
           "ROW_FORMAT", "WorkerLost", "MAX_POOL_RESTARTS", "RAY_TASK_RETRIES"]

BACKENDS = ("serial", "process", "ray")

# Fresh process pools a run may start after a worker dies. Bounded because an episode that kills its worker
# every time (a crash in native code, a machine that runs out of memory) would otherwise loop forever.
MAX_POOL_RESTARTS = 3
# Times Ray plays a batch again after its worker or node died (Ray's own default for tasks, stated here
# because the node-loss guarantee rests on it). Agent errors are rows, not exceptions, so nothing else retries.
RAY_TASK_RETRIES = 3

# The layout of a row of episodes.jsonl. 2: the table's name is in "table" and the agents by seat in "seats"
# (format 1 had them in "game" and "table"), "game" names the game, and built-in bots' returns are their own
# (format 1 wrote 0.0 for a Territory bot seat). Rows of another format are set aside as stale, not resumed.
ROW_FORMAT = 2


@dataclass(frozen=True)
class Job:
    """One episode to play. ``table`` names the leaderboard table (a key of ``GAME_ADAPTERS``); ``seats[i]`` is
    the agent name in seat ``i``; ``variant`` is the table's setting for this episode (a TickDuel build)."""

    table: str
    episode: int
    seed: int
    rotation: int
    seats: tuple[str, ...]
    variant: str = ""

    @property
    def key(self) -> str:
        key = f"{self.table}|{self.episode}|{self.rotation}|{','.join(self.seats)}"
        return f"{key}|{self.variant}" if self.variant else key


def balanced_subsets(agents: list[str], size: int, max_subsets: int = 60) -> list[tuple[str, ...]]:
    """Groups of ``size`` agents in which every agent plays equally often.

    All combinations when there are few; otherwise cyclic windows ``agents[i::stride]`` for strides coprime
    to the count, so each agent appears ``size`` times per stride.
    """
    n = len(agents)
    if n <= size:
        # Fewer agents than seats: copies fill the table. One table per starting agent, each the list
        # repeated cyclically from there, so every agent holds the extra seats equally often.
        return [tuple(agents[(start + i) % n] for i in range(size)) for start in range(n if n < size else 1)]
    combos = list(itertools.combinations(agents, size))
    if len(combos) <= max_subsets:
        return combos
    out: list[tuple[str, ...]] = []
    for stride in range(1, n):
        if len(out) + n > max_subsets:
            break
        if _gcd(stride, n) != 1:
            continue
        out.extend(tuple(agents[(i + k * stride) % n] for k in range(size)) for i in range(n))
    return out


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def plan_jobs(table: str, agents: list[str], episodes: int) -> list[Job]:
    """Every episode of ``table``, in a fixed order.

    Free-for-all: each table of agents is played on every map seed in all seat rotations. Single-player:
    every agent on every seed in every variant. Duel: every pair of agents on every seed in every variant,
    in both seat orders.
    """
    adapter = GAME_ADAPTERS[table]
    seeds = eval_seeds(adapter.game, episodes)
    agents = sorted(agents)
    jobs: list[Job] = []
    if adapter.kind == "ffa":
        for group in balanced_subsets(agents, adapter.num_seats):
            for episode, seed in enumerate(seeds):
                for rotation in range(adapter.num_seats):
                    seats = group[rotation:] + group[:rotation]
                    jobs.append(Job(table, episode, seed, rotation, seats))
    elif adapter.kind == "single":
        for agent in agents:
            for episode, seed in enumerate(seeds):
                jobs.extend(Job(table, episode, seed, 0, (agent,), variant) for variant in adapter.variants)
    elif adapter.kind == "duel":
        for first, second in itertools.combinations(agents, 2):
            for episode, seed in enumerate(seeds):
                for variant in adapter.variants:
                    jobs.append(Job(table, episode, seed, 0, (first, second), variant))
                    jobs.append(Job(table, episode, seed, 1, (second, first), variant))
    else:
        raise ValueError(f"table {table!r} has unknown kind {adapter.kind!r}")
    return jobs


# ---------------------------------------------------------------------- playing one episode
_AGENT_CACHE: dict[str, Any] = {}


def _agent(name: str) -> Any:
    from botarena.agents.common.registry import make_agent

    if name not in _AGENT_CACHE:
        _AGENT_CACHE[name] = make_agent(name, deterministic=True)
    return _AGENT_CACHE[name]


def play_job(job: Job) -> list[dict[str, Any]]:
    """Play one episode; return one row per seat. An agent that fails is reported, not raised."""
    import torch

    torch.set_num_threads(1)
    adapter: GameAdapter = GAME_ADAPTERS[job.table]
    start = time.perf_counter()
    error: str | None = None
    failed_seats: set[int] = set()
    try:
        agents = []
        for name in job.seats:
            agent = _agent(name)
            # Seeded by table name: a game's tables play independent episodes.
            agent.reset(agent_seed(name, job.table, job.episode))
            agents.append(agent)
        outcomes = adapter.play(agents, job.seed, job.variant)
    except AgentFailure as err:  # a broken agent must not stop the others
        error, failed_seats, outcomes = str(err), {err.seat}, None
    except Exception as err:  # the game itself failed: every seat's row says so
        error, failed_seats, outcomes = f"{type(err).__name__}: {err}", set(range(len(job.seats))), None
    wall = time.perf_counter() - start
    rows = []
    for seat, name in enumerate(job.seats):
        row = {
            "key": job.key, "row_format": ROW_FORMAT, "table": job.table, "game": adapter.game,
            "env_id": adapter.env_id, "game_version": adapter.version,
            "episode": job.episode, "seed": job.seed, "rotation": job.rotation, "variant": job.variant,
            "seat": seat, "agent": name,
            "checkpoint_sha256": checkpoint_hash(name), "seats": list(job.seats),
            "return": None, "length": None, "placement": None, "wall_time_s": round(wall, 4),
            # error: this seat's agent failed; void: the episode did not finish, because of another seat.
            "error": error if seat in failed_seats else None, "void": error is not None,
        }
        if outcomes is not None:
            row.update({"return": outcomes[seat].ret, "length": outcomes[seat].length,
                        "placement": outcomes[seat].placement})
        rows.append(row)
    return rows


def checkpoint_hash(name: str) -> str | None:
    """SHA-256 of the agent's checkpoint file, or None for agents without one."""
    from botarena.agents.common.checkpoint import file_sha256
    from botarena.agents.common.registry import agent_spec

    path = agent_spec(name).checkpoint_path
    return file_sha256(path) if path is not None and path.is_file() else None


def _fork_context():
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


# Seconds a cold compile of each game's kernels took on one core of a 2-core machine (measured with an empty
# NUMBA_CACHE_DIR, calling each table's ``warm``). Only their ratios matter: they pack the compiles into workers.
COLD_COMPILE_S = {"tick_duel": 62.0, "territory": 36.0, "click_arena": 25.0}


def _warm_in_turn(tables: list[str]) -> None:
    for table in tables:
        GAME_ADAPTERS[table].warm()


def pack_compiles(tables: list[str], workers: int) -> list[list[str]]:
    """Split the tables (one per game) into at most ``workers`` lists of about equal cold-compile time.

    Longest first onto the least loaded worker: on 2 cores TickDuel's compile (about 62 s) runs beside
    Territory's and ClickArena's (36 + 25 s), so the cores finish together instead of one idling while the
    longest compile finishes alone.
    """
    loads: list[tuple[float, list[str]]] = [(0.0, []) for _ in range(max(1, min(workers, len(tables))))]
    for table in sorted(tables, key=lambda t: -COLD_COMPILE_S.get(GAME_ADAPTERS[t].game, 30.0)):
        k = min(range(len(loads)), key=lambda j: loads[j][0])
        load, group = loads[k]
        loads[k] = (load + COLD_COMPILE_S.get(GAME_ADAPTERS[table].game, 30.0), group + [table])
    return [group for _, group in loads if group]


def warm_tables(tables: Iterable[str], workers: int | None = None) -> None:
    """Compile the kernels of every table's game in this process, so that forked workers inherit them.

    With several games and cores, the games are first compiled in parallel workers (``pack_compiles``); their
    kernels land in numba's on-disk cache, and the warm-up here then only loads them (a cold compile of a
    game takes tens of seconds; a cache load well under one).
    """
    from concurrent.futures import ProcessPoolExecutor

    one_per_game: dict[str, str] = {}
    for table in sorted(tables):
        one_per_game.setdefault(GAME_ADAPTERS[table].game, table)  # tables of one game share its kernels
    chosen = sorted(one_per_game.values())
    groups = pack_compiles(chosen, workers or os.cpu_count() or 1)
    if len(groups) > 1:
        with ProcessPoolExecutor(max_workers=len(groups), mp_context=_fork_context()) as pool:
            list(pool.map(_warm_in_turn, groups))
    _warm_in_turn(chosen)


# ---------------------------------------------------------------------- backends
def _serial(jobs: list[Job]) -> Iterator[list[dict[str, Any]]]:
    for job in jobs:
        yield play_job(job)


def longest_first(jobs: list[Job]) -> list[Job]:
    """The order a pool takes ``jobs`` in: episodes seating a learned agent first (torch at batch 1 makes them
    the long ones, up to tens of seconds), the games with more decisions per episode first among equals.

    Longest-first keeps a long episode from starting last and running alone while the other workers idle (in
    ``make demo`` the ClickArena agent's episodes, submitted after Territory's, once ran for the last minute).
    Results do not depend on the order: every episode is seeded by its job.
    """
    from botarena.agents.common.registry import agent_spec
    from botarena.envs import GAMES

    def cost(job: Job) -> tuple[bool, int]:
        learned = any(agent_spec(name).checkpoint is not None for name in job.seats)
        spec = GAMES.get(GAME_ADAPTERS[job.table].game)  # tables of games outside GAMES (tests) rank last
        return learned, (spec.max_episode_steps or 0) if spec is not None else 0

    return sorted(jobs, key=cost, reverse=True)  # stable: equal jobs keep their planned order


class WorkerLost(RuntimeError):
    """Workers kept dying beyond the retry bound; every finished episode is on disk, and a rerun resumes."""


def _process(jobs: list[Job], workers: int | None) -> Iterator[list[dict[str, Any]]]:
    """Play ``jobs`` in a process pool; a pool broken by a dead worker is replaced by a fresh one for the
    unfinished jobs, at most ``MAX_POOL_RESTARTS`` times."""
    workers = workers or os.cpu_count() or 1
    unfinished = longest_first(jobs)
    for restart in itertools.count():
        death, finished = yield from _play_in_pool(unfinished, workers)
        if death is None:
            return
        unfinished = [job for job in unfinished if job.key not in finished]
        if restart == MAX_POOL_RESTARTS:
            raise WorkerLost(
                f"worker processes died {restart + 1} times; every finished episode is kept and {len(unfinished)} "
                "were not played. Rerun with the same --out to resume; if the same episodes kill their worker "
                "again, --backend serial plays them in the foreground, where the crash shows.") from death
        print(f"A worker process died; {len(unfinished)} unfinished episodes are played again in a fresh pool "
              f"(restart {restart + 1} of {MAX_POOL_RESTARTS}).", file=sys.stderr, flush=True)


def _play_in_pool(jobs: list[Job], workers: int) -> Generator[list[dict[str, Any]], None,
                                                              tuple[BaseException | None, set[str]]]:
    """Yield the rows of each job that finishes in one pool; return (what broke the pool or None, finished keys)."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    death: BaseException | None = None
    finished: set[str] = set()
    # fork (where there is one) hands workers the parent's registries as they are, agents added at run time too.
    with ProcessPoolExecutor(max_workers=workers, mp_context=_fork_context()) as pool:
        futures: dict[Any, Job] = {}
        try:
            for job in jobs:
                futures[pool.submit(play_job, job)] = job
        except BrokenProcessPool as err:  # a worker died while jobs were still being handed out
            death = err
        try:
            for future in as_completed(futures):
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    # A dead worker fails every job the pool had not finished; the caller plays them again.
                    death = error
                    continue
                rows = future.result()
                finished.add(futures[future].key)
                yield rows
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return death, finished


def _ray(jobs: list[Job], address: str | None, batch: int = 8) -> Iterator[list[dict[str, Any]]]:
    """Play ``jobs`` in batches as Ray tasks: on this process's Ray session if it has one (left running), else on
    the cluster at ``address`` (or the one ``ray.init`` finds, or a new local one), disconnected at the end."""
    try:
        import ray
    except ImportError as err:
        raise ImportError("the ray backend needs the optional extra: pip install 'botarena[ray]'") from err
    connected_here = not ray.is_initialized()
    if connected_here:
        _connect_ray(ray, address)
    else:
        ignored = f"; --ray-address {address} is not used" if address is not None else ""
        print(f"Ray: using this process's own Ray session at {ray.get_runtime_context().gcs_address}{ignored}.",
              file=sys.stderr, flush=True)
    try:
        from botarena.agents.common import registry

        registry.list_agents()  # load the bundled agents, so the snapshot below is complete
        remote_play = ray.remote(max_retries=RAY_TASK_RETRIES)(_play_batch)
        # Workers on other machines start fresh: ship the exact tables and agent registry this run uses.
        context = ray.put((dict(GAME_ADAPTERS), dict(registry._REGISTRY)))
        chunks = [jobs[i:i + batch] for i in range(0, len(jobs), batch)]
        pending = [remote_play.remote(chunk, context) for chunk in chunks]
        while pending:
            # One at a time: each finished batch reaches episodes.jsonl before the next wait, so a driver that
            # dies loses only batches still in flight.
            [ref], pending = ray.wait(pending, num_returns=1)
            try:
                rows = ray.get(ref)
            except ray.exceptions.RayTaskError:  # the batch itself raised: a bug, not a lost machine
                raise
            except ray.exceptions.RayError as err:
                raise WorkerLost(
                    f"a batch of episodes was lost to dying Ray workers or nodes {RAY_TASK_RETRIES + 1} times "
                    f"({type(err).__name__}: {err}). Every finished episode is kept; rerun with the same --out "
                    "to resume.") from err
            yield from rows
    finally:
        if connected_here:
            ray.shutdown()


def _connect_ray(ray: Any, address: str | None) -> None:
    """``ray.init`` that names the cluster it joined, and fails fast, naming the address, when none answers."""
    if address not in (None, "", "auto", "local"):
        _check_ray_address(address)
    try:
        session = ray.init(address=address or None, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError) as err:
        where = f"the Ray cluster at --ray-address {address}" if address else "a Ray cluster (no --ray-address)"
        raise ConnectionError(f"could not join {where}: {err}") from err
    nodes = sum(node["Alive"] for node in ray.nodes())
    cpus = int(ray.cluster_resources().get("CPU", 0))
    # Without --ray-address, ray.init joins $RAY_ADDRESS or a cluster `ray start` left on this machine before it
    # starts a local one: say which it was.
    joined = getattr(session, "address_info", {}).get("gcs_address", address)  # a ray:// client has no address_info
    print(f"Ray: running on the cluster at {joined} ({nodes} nodes, {cpus} CPUs).", file=sys.stderr, flush=True)


def _check_ray_address(address: str) -> None:
    """Raise if nothing listens at ``address``: ray.init would retry an unreachable one for many minutes."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--ray-address must look like HOST:PORT (the head's `ray start --head --port=6379`, "
                         f"e.g. 10.0.0.5:6379) or ray://HOST:10001, got {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=10):
            pass
    except OSError as err:
        raise ConnectionError(f"no Ray cluster answers at --ray-address {address} ({err}): start one with "
                              f"`ray start --head --port={port}` on {host}, or check the address and the "
                              "firewall.") from err


def _play_batch(jobs: list[Job], context: tuple[dict, dict]) -> list[list[dict[str, Any]]]:
    from botarena.agents.common import registry

    adapters, agents = context
    registry.list_agents()
    registry._REGISTRY.update(agents)
    GAME_ADAPTERS.update(adapters)
    return [play_job(job) for job in jobs]


def run_jobs(jobs: list[Job], backend: str, *, workers: int | None = None,
             ray_address: str | None = None) -> Iterator[list[dict[str, Any]]]:
    """Rows of each finished episode, in completion order (callers sort before aggregating)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if not jobs:
        return iter(())
    if backend == "serial":
        return _serial(jobs)
    if backend == "process":
        return _process(jobs, workers)
    return _ray(jobs, ray_address)


# ---------------------------------------------------------------------- episodes.jsonl
def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of ``episodes.jsonl``; a line cut off by a crash (the last one) is dropped, not fatal."""
    if not path.is_file():
        return []
    rows = []
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines, 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            if number == len(lines):
                break
            raise ValueError(f"{path}:{number} is not valid JSON ({err}); the file is damaged") from err
    return rows


def append_rows(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with open(path, "a") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def job_dict(job: Job) -> dict[str, Any]:
    return asdict(job)
