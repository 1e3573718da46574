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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from botarena.envs.tick_duel import core
from botarena.envs.tick_duel.datasets import dataset_id, load_tick_duel_dataset
from botarena.envs.tick_duel.env import HISTORY

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

    def __len__(self) -> int:
        return len(self.count)

    def batch(self, idx: np.ndarray, history: int = HISTORY) -> dict[str, np.ndarray]:
        """The decisions ``idx``: inputs as the env shows them (``history`` ticks) and the true tick events."""
        window = idx[:, None] - history + np.arange(history)[None]  # oldest first, as action_history
        valid = window >= self.episode_start[idx][:, None]
        safe = np.where(valid, window, 0)
        hist = np.where(valid[..., None, None], self.events[safe], 0.0).astype(np.float32)
        hist_len = np.where(valid, self.count[safe], 0).astype(np.int64)
        longest = max(int(self.count[idx].max()), 1)
        return {"gamestate": self.gamestate[idx], "action_history": hist, "history_len": hist_len,
                "style": self.style[idx], "events": self.events[idx, :longest], "count": self.count[idx]}


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
        longest = max(int(ep.n.max()) for ep, _, _ in eps)
        total = sum(len(ep.n) for ep, _, _ in eps)
        ticks = DemoTicks(gamestate=np.zeros((total, eps[0][0].gamestate.shape[1]), np.float32),
                          events=np.zeros((total, max(longest, 1), core.EVENT_FIELDS), np.float32),
                          count=np.zeros(total, np.int64), episode_start=np.zeros(total, np.int64),
                          style=np.zeros(total, np.int64), build=np.zeros(total, np.int64))
        at = 0
        for ep, style, build in eps:
            t = len(ep.n)
            ticks.gamestate[at:at + t] = ep.gamestate[:t]
            ticks.events[at:at + t] = ep.events[:, :ticks.events.shape[1]]
            ticks.count[at:at + t] = ep.n
            ticks.episode_start[at:at + t] = at
            ticks.style[at:at + t] = style
            ticks.build[at:at + t] = build
            at += t
        out[split] = ticks
    return out, sizes


__all__ = ["DemoTicks", "SPLITS", "load_split_ticks", "split_of"]
