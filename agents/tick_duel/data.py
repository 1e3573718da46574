"""TickDuel demonstrations as training batches for the event decoder.

The Minari datasets of ``botarena datasets tick_duel`` (``envs/tick_duel/datasets.py``) hold, per episode, the
``gamestate`` before each tick and the tick's events. ``DemoTicks`` packs every tick of many datasets into flat
arrays (events trimmed to the longest tick seen, not the env's 64 rows) and builds each sample's
``action_history`` window on the fly from the ticks before it in the same episode, exactly as the env's
``push_history`` shows it (the datasets' rows are already in time order with integral fields), so a batch of
a few hundred decisions costs a gather, not gigabytes of stored windows.

Split: by episode, never by tick, so no episode is on both sides: episode ``k`` of a dataset (seed ``seed + k``)
goes to test when ``k % 10 == 0``, to validation when ``k % 10 == 1``, to training otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from botarena.envs.common.io import atomic_write, load_npz
from botarena.envs.tick_duel import core
from botarena.envs.tick_duel.datasets import dataset_id, load_tick_duel_dataset
from botarena.envs.tick_duel.env import HISTORY
from botarena.envs.tick_duel.observe import COL_OPEN_TAB

from . import targets
from .decoder import STYLES

SPLITS = ("train", "val", "test")


def split_of(episode: int) -> str:
    """Which split episode ``episode`` of a dataset belongs to (see the module docstring)."""
    return "test" if episode % 10 == 0 else ("val" if episode % 10 == 1 else "train")


@dataclass
class DemoTicks:
    """Every tick of the loaded episodes of one split, flat (N ticks, E the longest tick's events)."""

    gamestate: np.ndarray  # float32 [N, G]
    events: np.ndarray  # float32 [N, E, 7]
    count: np.ndarray  # int64 [N]
    episode_start: np.ndarray  # int64 [N]: the flat index of the episode's first tick
    style: np.ndarray  # int64 [N]: index into decoder.STYLES
    build: np.ndarray  # int64 [N]
    target: np.ndarray | None = None  # int64 [N, E]: each left click's UI element (``targets``); set by ``label``
    offset: np.ndarray | None = None  # float32 [N, E, 2]: where inside it
    # float32 [N, E', 7]: the events the env executed, which the next ticks' ``action_history`` shows. None for
    # demonstrations (the demonstrator's own events); the learner's events in on-policy (DAgger) ticks, where
    # ``events`` are the expert's labels.
    shown: np.ndarray | None = None
    shown_count: np.ndarray | None = None

    def label(self) -> None:
        """Label every left click with its target and offset (the tab open at each tick's start is observed)."""
        tab = self.gamestate[:, COL_OPEN_TAB:COL_OPEN_TAB + core.NUM_TABS].argmax(1)
        self.target = targets.label_clicks(self.events, self.count, tab)
        self.offset = targets.offsets(self.events, self.target)

    def __len__(self) -> int:
        return len(self.count)

    def batch(self, idx: np.ndarray, history: int = HISTORY) -> dict[str, np.ndarray]:
        """The decisions ``idx``: inputs as the env shows them (``history`` ticks) and the true tick events."""
        window = idx[:, None] - history + np.arange(history)[None]  # oldest first, as action_history
        valid = window >= self.episode_start[idx][:, None]
        safe = np.where(valid, window, 0)
        shown, shown_count = (self.events, self.count) if self.shown is None else (self.shown, self.shown_count)
        hist = np.where(valid[..., None, None], shown[safe], 0.0).astype(np.float32)
        hist_len = np.where(valid, shown_count[safe], 0).astype(np.int64)
        longest = max(int(self.count[idx].max()), 1)
        return {"gamestate": self.gamestate[idx], "action_history": hist, "history_len": hist_len,
                "style": self.style[idx], "events": self.events[idx, :longest], "count": self.count[idx],
                "target": self.target[idx, :longest], "offset": self.offset[idx, :longest]}


class Episode(NamedTuple):
    """One episode's ticks: ``gamestate`` [T, G], ``events`` [T, E, 7] and ``count`` [T]; for on-policy ticks also
    the events the env executed (``shown``, ``shown_count``)."""

    gamestate: np.ndarray
    events: np.ndarray
    count: np.ndarray
    style: int
    build: int
    shown: np.ndarray | None = None
    shown_count: np.ndarray | None = None


def pack_episodes(episodes: Sequence[Episode]) -> DemoTicks:
    """The episodes as one labelled ``DemoTicks``, events trimmed to the longest tick."""
    on_policy = episodes[0].shown is not None
    width = max(1, max(int(ep.count.max(initial=0)) for ep in episodes),
                max((int(ep.shown_count.max(initial=0)) for ep in episodes if on_policy), default=0))

    def stacked(get) -> np.ndarray:
        return np.concatenate([get(ep) for ep in episodes])

    starts = np.cumsum([0] + [len(ep.count) for ep in episodes])[:-1]
    ticks = DemoTicks(
        gamestate=stacked(lambda ep: ep.gamestate).astype(np.float32),
        events=stacked(lambda ep: ep.events[:, :width]).astype(np.float32),
        count=stacked(lambda ep: ep.count).astype(np.int64),
        episode_start=np.repeat(starts, [len(ep.count) for ep in episodes]).astype(np.int64),
        style=np.repeat([ep.style for ep in episodes], [len(ep.count) for ep in episodes]).astype(np.int64),
        build=np.repeat([ep.build for ep in episodes], [len(ep.count) for ep in episodes]).astype(np.int64),
        shown=stacked(lambda ep: ep.shown[:, :width]).astype(np.float32) if on_policy else None,
        shown_count=stacked(lambda ep: ep.shown_count).astype(np.int64) if on_policy else None)
    ticks.label()
    return ticks


def load_split_ticks(root: str | Path, players: Sequence[str], builds: Sequence[str]
                     ) -> tuple[dict[str, DemoTicks], dict[str, int]]:
    """Every (player, build) dataset under ``root``, split by episode; also the ticks per dataset."""
    parts: dict[str, list] = {split: [] for split in SPLITS}
    sizes = {}
    for player in players:
        if player not in STYLES:
            raise ValueError(f"player must be one of {list(STYLES)} (the motor styles the decoder knows), "
                             f"got {player!r}")
        for build in builds:
            ds_id = dataset_id(player, build)
            episodes = load_tick_duel_dataset(ds_id, root)
            sizes[ds_id] = int(sum(len(ep.n) for ep in episodes))
            for k, ep in enumerate(episodes):
                parts[split_of(k)].append((ep, STYLES.index(player), core.build_index(build)))
    out = {}
    for split, eps in parts.items():
        if not eps:
            raise ValueError(f"no {split} episodes: write at least 10 episodes per dataset (`botarena datasets "
                             f"tick_duel --episodes N`)")
        out[split] = pack_episodes([Episode(ep.gamestate[:len(ep.n)], ep.events, ep.n, style, build)
                                    for ep, style, build in eps])
    return out, sizes


def collect_on_policy(model: Any, players: Sequence[str], builds: Sequence[str], duels: int, seed: int,
                      beta: float, progress: Any = None) -> DemoTicks:
    """DAgger's data: ``duels`` duels per (player, build) against ``nh_expert`` (seeds ``seed + 1000 * group``
    onwards), every tick labelled with what ``player`` would do (``TickDuelVectorEnv.expert_events``) and played
    by the expert with probability ``beta``, else by the decoder ``model`` imitating that player's style.

    The ticks keep both: ``events`` the expert's labels, ``shown`` the events the env executed (what the next
    ticks' ``action_history`` shows the learner).
    """
    from botarena.envs.tick_duel import TickDuelVectorEnv
    from botarena.envs.tick_duel.bots import bot_id

    from .policy import DecoderAgent

    rng = np.random.default_rng(seed)
    episodes: list[Episode] = []
    for group, (player, build) in enumerate((p, b) for p in players for b in builds):
        env = TickDuelVectorEnv(duels, build=build, opponent="nh_expert", autoreset_mode="disabled")
        agent = DecoderAgent(model=model, style=player)  # greedy, as it plays on the leaderboard
        obs, _ = env.reset(seed=seed + 1000 * group)
        agent.reset(seed + 1000 * group)
        rows: list[dict[str, list]] = [{k: [] for k in ("gamestate", "label", "n", "shown", "shown_n")}
                                       for _ in range(duels)]
        running = np.ones(duels, np.bool_)
        while running.any():
            labels = env.expert_events(np.full(duels, bot_id(player), np.int8))
            learned = agent.act_batch(obs)
            expert = (rng.random(duels) < beta)[:, None]
            action = {"n": np.where(expert[:, 0], labels["n"], learned["n"]),
                      "events": np.where(expert[..., None], labels["events"], learned["events"])}
            for i in np.flatnonzero(running):
                r = rows[i]
                r["gamestate"].append(obs["gamestate"][i].copy())
                r["label"].append(labels["events"][i])
                r["n"].append(int(labels["n"][i]))
                r["shown"].append(action["events"][i])
                r["shown_n"].append(int(action["n"][i]))
            obs, _, terminated, truncated, _ = env.step(action)
            if progress is not None:
                progress(int(running.sum()))
            running &= ~(terminated | truncated)
        env.close()
        episodes += [Episode(np.array(r["gamestate"]), np.array(r["label"]), np.array(r["n"]), STYLES.index(player),
                             core.build_index(build), np.array(r["shown"]), np.array(r["shown_n"])) for r in rows]
    return pack_episodes(episodes)


def concat_ticks(parts: Sequence[DemoTicks]) -> DemoTicks:
    """One ``DemoTicks`` of several (episodes renumbered, events padded to the widest)."""
    width = max(max(t.events.shape[1], 0 if t.shown is None else t.shown.shape[1]) for t in parts)

    def pad(a: np.ndarray) -> np.ndarray:
        return np.pad(a, [(0, 0), (0, width - a.shape[1])] + [(0, 0)] * (a.ndim - 2))

    starts, at = [], 0
    for t in parts:
        starts.append(t.episode_start + at)
        at += len(t)
    out = DemoTicks(gamestate=np.concatenate([t.gamestate for t in parts]),
                    events=np.concatenate([pad(t.events) for t in parts]),
                    count=np.concatenate([t.count for t in parts]), episode_start=np.concatenate(starts),
                    style=np.concatenate([t.style for t in parts]), build=np.concatenate([t.build for t in parts]),
                    shown=np.concatenate([pad(t.events if t.shown is None else t.shown) for t in parts]),
                    shown_count=np.concatenate([t.count if t.shown is None else t.shown_count for t in parts]))
    out.label()
    return out


def save_ticks(ticks: DemoTicks, path: str | Path) -> None:
    """``ticks`` as an ``.npz``, written atomically (labels are recomputed on load)."""
    with atomic_write(path) as handle:
        np.savez(handle, **{f.name: getattr(ticks, f.name) for f in fields(DemoTicks)
                            if getattr(ticks, f.name) is not None and f.name not in ("target", "offset")})


def load_ticks(path: str | Path) -> DemoTicks:
    """Ticks written by ``save_ticks``; a clear error for a missing, corrupt or inconsistent file."""
    arrays = load_npz(path, what="on-policy ticks")
    needed = ("gamestate", "events", "count", "episode_start", "style", "build")
    missing = [name for name in needed if name not in arrays]
    n = len(arrays.get("count", []))
    if missing or any(len(a) != n for a in arrays.values()):
        raise ValueError(f"on-policy ticks {path} are incomplete or inconsistent: missing {missing}, lengths "
                         f"{ {k: len(a) for k, a in arrays.items()} }")
    ticks = DemoTicks(**arrays)
    ticks.label()
    return ticks


__all__ = ["DemoTicks", "SPLITS", "collect_on_policy", "concat_ticks", "load_split_ticks", "load_ticks",
           "save_ticks", "split_of"]
