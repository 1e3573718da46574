"""Demonstration datasets of TickDuel's scripted players, written as Minari datasets.

``botarena datasets tick_duel --episodes N --players nh_expert:fast,nh_expert:sloppy --builds max,pure --out DIR``
writes one dataset per (player, build): ``tick_duel/<player>-<build>-v1`` (``:`` becomes ``-``; the dataset
version is the env's: v1 datasets are played on TickDuel-v1) under ``DIR``
(Minari's ``MINARI_DATASETS_PATH``). Episode ``k`` of a dataset is the duel seeded ``seed + k``: the
demonstrator plays seat 0 against ``--opponent`` (default ``nh_expert``), so the same arguments write the same
data, byte for byte.

Per episode (``T`` ticks):

==========================  =============================  ========================================================
key                         dtype / shape                  content
==========================  =============================  ========================================================
observations["gamestate"]   float32 [T + 1, 152]           the env's ``gamestate`` before each tick and at the end
actions["n"]                int64 [T]                      events the demonstrator made in the tick
actions["events"]           float32 [T, max_events, 7]     those events in time order, zero padded
rewards, terminations,      [T]                            the env's default reward, end flags
truncations
==========================  =============================  ========================================================

The ``action_history`` windows of the observation are not stored: ``load_tick_duel_dataset`` rebuilds them from
the actions with the env's own kernel, so they equal what the env showed. The data contract, checked on write
and on load: every event time in [0, 600) and the events of a tick in time order, ``0 <= n <= max_events`` and
the rows past ``n`` all zero, integer fields integral and in range, coordinates on the screen (x in [0, 765),
y in [0, 503)), all values finite, and the counts of observations (T + 1), actions, rewards and flags (T)
matching.

Writing is all or nothing: Minari writes into a hidden staging folder under the root, and the finished dataset is
renamed into place, so a run killed at any moment leaves each dataset complete or absent (the next write deletes
what a killed one left). The metadata stores the env spec (``botarena/TickDuel-v1`` with its arguments); loading
refuses a dataset of another env, and turns unreadable metadata or HDF5 into a :class:`DataContractError` that
names the dataset and its path.

Minari is optional (``pip install 'botarena[datasets]'``, plus ``h5py`` for its default storage); it is imported
only here, when a dataset is written or read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from ..common.io import NPZ_MAX_BYTES, fsync_directory, fsync_tree, writer_is_gone, writer_tag
from . import bots, core, observe
from .env import HISTORY, TickDuelVectorEnv

DEFAULT_PLAYERS = "nh_expert:fast,nh_expert:sloppy"
DEFAULT_BUILDS = "max,pure"
# A dataset is written under <root>/.botarena-writing-<host>.<pid>.<random>/ and renamed into place when complete;
# Minari skips hidden folders, so a staging folder is never listed or loaded as a dataset.
STAGING_PREFIX = ".botarena-writing-"


class DataContractError(ValueError):
    """A dataset breaks the TickDuel data contract (see the module docstring)."""


@dataclass
class DemoEpisode:
    """One loaded episode, with the history windows rebuilt (shapes in the module docstring)."""

    gamestate: np.ndarray
    n: np.ndarray
    events: np.ndarray
    rewards: np.ndarray
    terminations: np.ndarray
    truncations: np.ndarray
    action_history: np.ndarray  # float32 [T, 10, max_events, 7]: the window the env showed before tick t
    history_len: np.ndarray  # int32 [T, 10]


def import_minari() -> Any:
    """Import minari and its HDF5 storage, or explain how to get them."""
    try:
        import minari
    except ImportError as err:
        raise ImportError("TickDuel datasets need minari: run `pip install 'botarena[datasets]'` "
                          "(or `pip install 'minari[hdf5]>=0.5'`)") from err
    try:
        import h5py  # noqa: F401  (minari's default storage)
    except ImportError as err:
        raise ImportError("minari's HDF5 storage needs h5py: run `pip install h5py` "
                          "(or `pip install 'minari[hdf5]>=0.5'`)") from err
    return minari


def dataset_id(player: str, build: str) -> str:
    """The Minari id of a player's dataset for a build, e.g. ``tick_duel/nh_expert-fast-max-v1`` (the version is
    the env's: the data of TickDuel-v1)."""
    from botarena.envs import GAMES
    from botarena.envs.common.multiagent import id_version

    return f"tick_duel/{player.replace(':', '-')}-{build}-v{id_version(GAMES['tick_duel'].env_id)}"


@contextmanager
def datasets_root(root: str | os.PathLike | None):
    """Point Minari at ``root`` (``MINARI_DATASETS_PATH``) for the duration of a block."""
    if root is None:
        yield
        return
    old = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(os.path.abspath(root))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = old


def spaces_for(max_events: int) -> tuple[spaces.Dict, spaces.Dict]:
    """The stored observation and action spaces (the env's, less the rebuilt history)."""
    from .env import duel_spaces

    obs_space, act_space = duel_spaces(max_events)
    return spaces.Dict({"gamestate": obs_space["gamestate"]}), act_space


def generate_episodes(player: str, build: str, episodes: int, seed: int = 0, opponent: str = "nh_expert",
                      max_events: int = 64, max_steps: int = 500) -> list[dict[str, np.ndarray]]:
    """Play ``episodes`` duels (seeds ``seed .. seed + episodes - 1``) with ``player`` in seat 0; raw arrays."""
    demo = bots.bot_id(player)
    env = TickDuelVectorEnv(episodes, build=build, opponent=opponent, max_events=max_events,
                            max_episode_steps=max_steps, autoreset_mode="Disabled")
    env.policies[:, 0] = demo  # the demonstrator's events go through the same UI code as an agent's
    obs, _ = env.reset(seed=seed)
    noop = {"n": np.zeros(episodes, np.int64), "events": np.zeros((episodes, max_events, 7), np.float32)}
    states = [[obs["gamestate"][i].copy()] for i in range(episodes)]
    counts: list[list[int]] = [[] for _ in range(episodes)]
    events: list[list[np.ndarray]] = [[] for _ in range(episodes)]
    rewards: list[list[float]] = [[] for _ in range(episodes)]
    terms: list[list[bool]] = [[] for _ in range(episodes)]
    truncs: list[list[bool]] = [[] for _ in range(episodes)]
    running = np.ones(episodes, np.bool_)
    while running.any():
        obs, rew, term, trunc, _ = env.step(noop)
        for i in np.flatnonzero(running):
            n = int(env.counts[i, 0])
            row = np.zeros((max_events, core.EVENT_FIELDS), np.float32)
            row[:n] = env.events[i, 0, :n]
            states[i].append(obs["gamestate"][i].copy())
            counts[i].append(n)
            events[i].append(row)
            rewards[i].append(float(rew[i]))
            terms[i].append(bool(term[i]))
            truncs[i].append(bool(trunc[i]))
        running &= ~(term | trunc)
    return [{"gamestate": np.array(states[i], np.float32), "n": np.array(counts[i], np.int64),
             "events": np.array(events[i], np.float32), "rewards": np.array(rewards[i], np.float64),
             "terminations": np.array(terms[i]), "truncations": np.array(truncs[i])} for i in range(episodes)]


def check_contract(ep: dict[str, np.ndarray], where: str, max_events: int) -> None:
    """Raise ``DataContractError`` unless the episode keeps the contract (module docstring)."""
    n, events, gamestate = np.asarray(ep["n"]), np.asarray(ep["events"]), np.asarray(ep["gamestate"])
    t = len(n)
    lengths = {"events": len(events), "rewards": len(ep["rewards"]), "terminations": len(ep["terminations"]),
               "truncations": len(ep["truncations"])}
    if len(gamestate) != t + 1 or any(v != t for v in lengths.values()):
        raise DataContractError(f"{where}: counts do not match: {t} actions, {len(gamestate)} observations "
                                f"(expected {t + 1}), {lengths}")
    if events.shape[1:] != (max_events, core.EVENT_FIELDS):
        raise DataContractError(f"{where}: events must be [T, {max_events}, 7], got {events.shape}")
    for name, arr in (("events", events), ("gamestate", gamestate), ("rewards", np.asarray(ep["rewards"]))):
        if not np.all(np.isfinite(arr)):
            raise DataContractError(f"{where}: {name} holds NaN or inf")
    if (n < 0).any() or (n > max_events).any():
        raise DataContractError(f"{where}: event counts must be in [0, {max_events}], got {n.min()}..{n.max()}")
    live = np.arange(max_events)[None, :] < n[:, None]
    if (events[~live] != 0).any():
        step = int(np.argwhere((events != 0).any(axis=2) & ~live)[0, 0])
        raise DataContractError(f"{where}: step {step} has non-zero event rows past its count {n[step]}")
    ev = events[live]
    checks = (
        ("time_ms", ev[:, core.F_TIME], 0.0, core.TICK_MS),
        ("x", ev[:, core.F_X], 0.0, core.SCREEN_W),
        ("y", ev[:, core.F_Y], 0.0, core.SCREEN_H),
        ("type", ev[:, core.F_TYPE], 0.0, core.NUM_EVENT_TYPES),
        ("button", ev[:, core.F_BUTTON], 0.0, core.NUM_BUTTONS),
        ("key_id", ev[:, core.F_KEY], 0.0, core.NUM_KEYS),
    )
    for name, values, low, high in checks:
        bad = (values < low) | (values >= high)
        if bad.any():
            raise DataContractError(f"{where}: event {name} {values[bad][0]} is outside [{low:g}, {high:g})")
    for name, field in (("type", core.F_TYPE), ("button", core.F_BUTTON), ("key_id", core.F_KEY)):
        if (ev[:, field] != np.round(ev[:, field])).any():
            raise DataContractError(f"{where}: event {name} must be an integer")
    times = np.where(live, events[:, :, core.F_TIME], 1e9)
    if (np.diff(times, axis=1)[live[:, 1:]] < 0).any():
        raise DataContractError(f"{where}: the events of a tick must be in time order")


def rebuild_history(n: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The env's ``action_history`` / ``history_len`` before each tick, rebuilt with the env's own kernel."""
    t, max_events = len(n), events.shape[1]
    hist = np.zeros((1, HISTORY, max_events, core.EVENT_FIELDS), np.float32)
    hist_len = np.zeros((1, HISTORY), np.int32)
    out = np.zeros((t, HISTORY, max_events, core.EVENT_FIELDS), np.float32)
    out_len = np.zeros((t, HISTORY), np.int32)
    buf = np.zeros((1, core.NUM_PLAYERS, max_events, core.EVENT_FIELDS), np.float32)
    counts = np.zeros((1, core.NUM_PLAYERS), np.int64)
    active = np.ones(1, np.bool_)
    order = np.zeros(max_events, np.int64)
    for step in range(t):
        out[step] = hist[0]
        out_len[step] = hist_len[0]
        buf[0, 0] = events[step]
        counts[0, 0] = n[step]
        observe.push_history(buf, counts, 0, hist, hist_len, active, order)
    return out, out_len


def write_dataset(player: str, build: str, episodes: int, root: str | os.PathLike | None = None, seed: int = 0,
                  opponent: str = "nh_expert", max_events: int = 64, max_steps: int = 500,
                  overwrite: bool = False) -> str:
    """Generate, check and write one dataset; returns its id.

    Minari writes into a hidden staging folder under the root (``.botarena-writing-<host>.<pid>.<random>``,
    which Minari never lists or loads, hidden folders being skipped), and the finished dataset is renamed into
    place: a run killed at any moment leaves the dataset complete or absent, never half-written. A staging
    folder whose writer died is deleted by the next write under the same root.
    """
    minari = import_minari()
    from minari.data_collector.episode_buffer import EpisodeBuffer
    from minari.storage import get_dataset_path

    ds_id = dataset_id(player, build)
    with datasets_root(root):
        base = Path(get_dataset_path())
    _remove_abandoned_staging(base)
    final = base / ds_id
    if final.exists() and not overwrite:
        raise FileExistsError(f"dataset {ds_id} already exists under {base}; pass overwrite=True (--overwrite) to "
                              "replace it")
    raw = generate_episodes(player, build, episodes, seed, opponent, max_events, max_steps)
    for k, ep in enumerate(raw):
        check_contract(ep, f"{ds_id} episode {k} (write)", max_events)
    buffers = [EpisodeBuffer(id=k, seed=seed + k, observations={"gamestate": ep["gamestate"]},
                             actions={"n": ep["n"], "events": ep["events"]}, rewards=list(ep["rewards"]),
                             terminations=list(ep["terminations"]), truncations=list(ep["truncations"]), infos={})
               for k, ep in enumerate(raw)]
    obs_space, act_space = spaces_for(max_events)
    env_spec = _env_spec(build, opponent, max_events, max_steps)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + writer_tag(), dir=base))
    try:
        with datasets_root(staging), warnings.catch_warnings():
            # No author e-mail: Minari warns about it.
            warnings.filterwarnings("ignore", category=UserWarning, module="minari")
            _create(minari, ds_id, buffers, obs_space, act_space, env_spec, player, build, opponent, seed, episodes,
                    max_events)
        _publish(staging, ds_id, base)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ds_id


def _env_spec(build: str, opponent: str, max_events: int, max_steps: int) -> Any:
    """TickDuel's registered spec with the arguments the data was played with: stored in the dataset's metadata,
    so a dataset of another env version is refused on load and ``recover_environment`` rebuilds this env."""
    import gymnasium as gym

    import botarena.envs  # noqa: F401  (registers the ids)
    from botarena.envs import GAMES

    spec = gym.spec(GAMES["tick_duel"].env_id)
    return replace(spec, kwargs={**spec.kwargs, "build": build, "opponent": opponent, "max_events": max_events},
                   max_episode_steps=max_steps)


def _publish(staging: Path, ds_id: str, base: Path) -> None:
    """Rename the finished dataset from ``staging`` into ``base``; an old one is moved into ``staging`` first
    (deleted with it), so a kill between the two renames leaves the dataset absent, never mixed."""
    written, final = staging / ds_id, base / ds_id
    fsync_tree(written)
    namespace = ds_id.rsplit("/", 1)[0] if "/" in ds_id else None
    if namespace is not None:
        final.parent.mkdir(parents=True, exist_ok=True)
        marker = Path(namespace, "namespace_metadata.json")  # what makes Minari list the namespace
        if (staging / marker).exists() and not (base / marker).exists():
            os.replace(staging / marker, base / marker)
    if final.exists():
        os.rename(final, staging / "replaced-dataset")
    os.rename(written, final)
    fsync_directory(final.parent)


def _remove_abandoned_staging(base: Path) -> None:
    """Delete staging folders whose writer was killed (a live writer's, or another host's, are left alone)."""
    if not base.is_dir():
        return
    for entry in base.iterdir():
        if entry.name.startswith(STAGING_PREFIX) and writer_is_gone(entry.name[len(STAGING_PREFIX):]):
            shutil.rmtree(entry, ignore_errors=True)


def _create(minari: Any, ds_id: str, buffers: list, obs_space: spaces.Space, act_space: spaces.Space, env_spec: Any,
            player: str, build: str, opponent: str, seed: int, episodes: int, max_events: int) -> None:
    minari.create_dataset_from_buffers(
        dataset_id=ds_id, buffer=buffers, env=env_spec, observation_space=obs_space, action_space=act_space,
        algorithm_name=f"botarena scripted bot {player}", author="botarena",
        description=(f"{env_spec.id} ({build} vs {opponent}, seeds {seed}..{seed + episodes - 1}): per-tick input "
                     f"events of {player}, max_events={max_events}. Rebuild history windows with "
                     "botarena.envs.tick_duel.datasets.load_tick_duel_dataset."),
        data_format="hdf5",
    )


def load_tick_duel_dataset(ds_id: str, root: str | os.PathLike | None = None) -> list[DemoEpisode]:
    """Load a dataset written by ``write_dataset``, check the contract and rebuild the history windows.

    A dataset that is not there is a ``FileNotFoundError``; one that is corrupt (unreadable metadata or HDF5),
    of another env version, or breaks the contract is a :class:`DataContractError` naming it.
    """
    from botarena.envs import GAMES

    minari = import_minari()
    from minari.storage import get_dataset_path

    with datasets_root(root):
        path = Path(get_dataset_path(ds_id))
        if not (path / "data").is_dir():
            raise FileNotFoundError(f"dataset {ds_id} not found at {path}; write it with `botarena datasets tick_duel "
                                    f"--out {path.parents[ds_id.count('/')]}`")
        try:
            _check_declared_sizes(path / "data" / "main_data.hdf5", ds_id)
            dataset = minari.load_dataset(ds_id)
            env_id = dataset.spec.env_spec.id if dataset.spec.env_spec is not None else None
        except DataContractError:
            raise
        except (OSError, ValueError, KeyError, TypeError, AssertionError, RuntimeError) as err:  # h5py raises all
            raise DataContractError(f"dataset {ds_id} at {path} is corrupt or not a Minari dataset: {err!r}") from err
        if env_id is not None and env_id != GAMES["tick_duel"].env_id:
            raise DataContractError(f"dataset {ds_id} at {path} was played on {env_id}; this botarena reads "
                                    f"{GAMES['tick_duel'].env_id} datasets (rewrite it with `botarena datasets "
                                    "tick_duel --overwrite`)")
        episodes = []
        try:
            for k, ep in enumerate(dataset.iterate_episodes()):
                raw = {"gamestate": np.asarray(ep.observations["gamestate"]), "n": np.asarray(ep.actions["n"]),
                       "events": np.asarray(ep.actions["events"]), "rewards": np.asarray(ep.rewards),
                       "terminations": np.asarray(ep.terminations), "truncations": np.asarray(ep.truncations)}
                max_events = raw["events"].shape[1] if raw["events"].ndim == 3 else 0
                check_contract(raw, f"{ds_id} episode {k} (load)", max_events)
                hist, hist_len = rebuild_history(raw["n"], raw["events"])
                episodes.append(DemoEpisode(action_history=hist, history_len=hist_len, **raw))
        except DataContractError:
            raise
        except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError) as err:
            raise DataContractError(f"dataset {ds_id} at {path} is corrupt: {err!r}") from err
    return episodes


def _check_declared_sizes(file: Path, ds_id: str) -> None:
    """Refuse an HDF5 file whose arrays claim more bytes than it can hold, before any is read (a crafted or corrupt
    header must not make loading allocate it): together they may take its own size or ``NPZ_MAX_BYTES``, whichever
    is larger. A missing file is left to Minari's own error."""
    import h5py

    if not file.is_file():
        return
    declared = 0

    def add(_: str, item: Any) -> None:
        nonlocal declared
        if isinstance(item, h5py.Dataset):
            declared += item.size * item.dtype.itemsize

    with h5py.File(file, "r") as handle:
        handle.visititems(add)
    limit = max(NPZ_MAX_BYTES, file.stat().st_size)
    if declared > limit:
        raise DataContractError(f"dataset {ds_id}: {file} declares {declared:,} bytes of arrays, more than the "
                                f"{limit:,} it may hold (its own size or {NPZ_MAX_BYTES:,}); refused before reading")


def main(argv: Sequence[str] | None = None) -> int:
    """``botarena datasets tick_duel``: write demonstration datasets of the scripted players."""
    parser = argparse.ArgumentParser(prog="botarena datasets tick_duel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=10, help="duels per dataset (default 10)")
    parser.add_argument("--players", default=DEFAULT_PLAYERS,
                        help=f"comma-separated demonstrators from {', '.join(bots.BOT_NAMES)}")
    parser.add_argument("--builds", default=DEFAULT_BUILDS, help=f"comma-separated builds from {core.BUILD_NAMES}")
    parser.add_argument("--opponent", default="nh_expert", help="the bot in seat 1 (default nh_expert)")
    parser.add_argument("--seed", type=int, default=0, help="episode k is seeded seed + k (default 0)")
    parser.add_argument("--max-events", type=int, default=64, help="events per tick (default 64)")
    parser.add_argument("--out", default=None, help="Minari datasets root (default: MINARI_DATASETS_PATH or ~/.minari)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing datasets")
    args = parser.parse_args(argv)
    players = [p.strip() for p in args.players.split(",") if p.strip()]
    builds = [b.strip() for b in args.builds.split(",") if b.strip()]
    try:
        for p in players:
            bots.bot_id(p)
        for b in builds:
            core.build_index(b)
        if args.episodes < 1:
            raise ValueError(f"--episodes must be >= 1, got {args.episodes}")
        for player in players:
            for build in builds:
                ds_id = write_dataset(player, build, args.episodes, args.out, args.seed, args.opponent,
                                      args.max_events, overwrite=args.overwrite)
                loaded = load_tick_duel_dataset(ds_id, args.out)
                ticks = sum(len(ep.n) for ep in loaded)
                events = sum(int(ep.n.sum()) for ep in loaded)
                wins = sum(bool(ep.terminations[-1]) and ep.rewards[-1] > 0 for ep in loaded)
                print(f"{ds_id}: {len(loaded)} episodes, {ticks} ticks, {events} events, {wins} wins "
                      "(contract checked on write and load)")
    except (ImportError, ValueError, FileExistsError) as err:
        print(f"error: {err}")
        return 2
    return 0


__all__ = ["DataContractError", "DemoEpisode", "check_contract", "dataset_id", "generate_episodes",
           "load_tick_duel_dataset", "main", "rebuild_history", "write_dataset"]
