"""Plan evaluation episodes, play them on a backend, and keep every finished one on disk.

An episode is a :class:`Job`: a table, a committed evaluation seed of its game, and the agent in each
seat. Jobs are planned in a fixed order and every finished episode is appended (and flushed) to
``episodes.jsonl`` before the next is counted, so Ctrl-C loses at most the episodes in flight and a rerun
with the same ``--out`` plays only what is missing. Rows are sorted before aggregation, so the serial, process and
Ray backends write byte-identical results.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .games import GAME_ADAPTERS, AgentFailure, GameAdapter
from .seeds import agent_seed, eval_seeds

__all__ = ["Job", "plan_jobs", "play_job", "run_jobs", "read_rows", "warm_tables", "checkpoint_hash", "BACKENDS",
           "ROW_FORMAT"]

BACKENDS = ("serial", "process", "ray")

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


def _warm_one(table: str) -> None:
    GAME_ADAPTERS[table].warm()


def warm_tables(tables: Iterable[str], workers: int | None = None) -> None:
    """Compile the kernels of every table's game in this process, so that forked workers inherit them.

    With several games and cores, each game is first compiled in a worker of its own, in parallel; their
    kernels land in numba's on-disk cache, and the warm-up here then only loads them (a cold compile of a
    game takes tens of seconds; a cache load well under one). Every game gets its own worker even when there
    are fewer cores: the compiles take 55 to 75 s each, so on 2 cores two workers would run 75 s and 55 + 58 s,
    while three share the cores and all end near the mean (measured in ``make demo``).
    """
    from concurrent.futures import ProcessPoolExecutor

    one_per_game: dict[str, str] = {}
    for table in sorted(tables):
        one_per_game.setdefault(GAME_ADAPTERS[table].game, table)  # tables of one game share its kernels
    chosen = sorted(one_per_game.values())
    if (workers or os.cpu_count() or 1) > 1 and len(chosen) > 1:
        with ProcessPoolExecutor(max_workers=len(chosen), mp_context=_fork_context()) as pool:
            list(pool.map(_warm_one, chosen))
    for table in chosen:
        _warm_one(table)


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


def _process(jobs: list[Job], workers: int | None) -> Iterator[list[dict[str, Any]]]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    workers = workers or os.cpu_count() or 1
    jobs = longest_first(jobs)
    # fork (where there is one) hands workers the parent's registries as they are, agents added at run time too.
    with ProcessPoolExecutor(max_workers=workers, mp_context=_fork_context()) as pool:
        futures = [pool.submit(play_job, job) for job in jobs]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _ray(jobs: list[Job], address: str | None, batch: int = 8) -> Iterator[list[dict[str, Any]]]:
    try:
        import ray
    except ImportError as err:
        raise ImportError("the ray backend needs the optional extra: pip install 'botarena[ray]'") from err
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    from botarena.agents.common import registry

    registry.list_agents()  # load the bundled agents, so the snapshot below is complete
    remote_play = ray.remote(_play_batch)
    # Workers on other machines start fresh: ship the exact tables and agent registry this run uses.
    context = ray.put((dict(GAME_ADAPTERS), dict(registry._REGISTRY)))
    chunks = [jobs[i:i + batch] for i in range(0, len(jobs), batch)]
    pending = [remote_play.remote(chunk, context) for chunk in chunks]
    while pending:
        done, pending = ray.wait(pending, num_returns=min(len(pending), 4))
        for ref in done:
            yield from ray.get(ref)


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
