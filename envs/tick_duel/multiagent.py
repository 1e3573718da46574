"""TickDuel as PettingZoo envs: both players are agents (``player_0``, ``player_1``), or a bot holds a seat.

``parallel_env(...)`` returns a ``ParallelEnv``; ``env(...)`` its AEC form (``parallel_to_aec``). The rules are the
same batched kernels as the Gymnasium env (a batch of one). Each agent sees the single-agent observation from its
own seat (``gamestate``, ``action_history``, ``history_len``) and acts with the same event action space; the two
players' events of a tick are read against their own clients and resolve together at the tick boundary.
Rewards are the single-agent ones per seat (``"default"`` or ``"sparse"``, see ``env.py``). When a player dies
both agents terminate; ``max_cycles`` truncates.

Scripted bots can hold seats: ``bots={1: "nh_expert:fast"}`` (names from ``bots.BOT_NAMES``; both seats may be
bots). Those seats are not agents. ``play_out()`` lets the bots finish the duel after the last agent has left (or
when every seat is a bot), ``episode_returns()`` gives every seat's total reward over the episode, bots included,
and ``final_placements()`` says who won (see ``TickDuelParallelEnv._placements``).
``rules`` picks the rule set: 1, TickDuel-v1, the default; 0, TickDuel-v0.

>>> from botarena.envs.tick_duel import parallel_env
>>> penv = parallel_env(builds=("max", "pure"))
>>> obs, infos = penv.reset(seed=0)
>>> sorted(obs)
['player_0', 'player_1']
>>> penv.metadata["name"]
'tick_duel_v1'
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pettingzoo.utils.conversions import parallel_to_aec

from botarena.envs.common import GameParallelEnv, rng

from . import bots as scripted
from . import core, observe
from .env import (
    DEFAULT_MAX_EPISODE_STEPS,
    DEFAULT_MAX_EVENTS,
    HISTORY,
    REWARDS,
    build_choice,
    check_max_events,
    check_rules,
    damage_rewards,
    duel_spaces,
)


class TickDuelParallelEnv(GameParallelEnv):
    """Both players of one duel as PettingZoo agents (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array", "human"], "is_parallelizable": True,
                                "render_fps": 5}
    game = "tick_duel"
    bot_names = scripted.BOT_NAMES

    def __init__(self, *, builds: tuple[str, str] | str = "max", max_events: int = DEFAULT_MAX_EVENTS,
                 reward: str = "default", max_cycles: int | None = DEFAULT_MAX_EPISODE_STEPS,
                 render_mode: str | None = None, bots: dict[int, str] | None = None,
                 rules: int = core.LATEST_RULES) -> None:
        max_events = check_max_events(max_events)
        self.rules = check_rules(rules)
        if isinstance(builds, str):
            builds = (builds, builds)
        if not isinstance(builds, (tuple, list)) or len(builds) != core.NUM_PLAYERS:
            raise ValueError(f"builds must be a build name or a pair of them, got {builds!r}")
        self.build_ids = [build_choice(b, f"builds[{k}]") for k, b in enumerate(builds)]
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {list(REWARDS)}, got {reward!r}")
        obs_space, act_space = duel_spaces(max_events, self.rules)
        noop = {"n": 0, "events": np.zeros((max_events, core.EVENT_FIELDS), np.float32)}
        super().__init__(core.NUM_PLAYERS, obs_space, act_space, noop, bots=bots, max_cycles=max_cycles,
                         render_mode=render_mode)
        self.policies = np.full((1, core.NUM_PLAYERS), scripted.BOT_NONE, np.int8)
        for seat, name in self.bots.items():
            self.policies[0, seat] = scripted.bot_id(name)
        self.max_events = max_events
        self.reward_mode = reward
        self.state = core.DuelState.allocate(1, self.rules)._replace(rng_state=self.rng_state)
        self.events = np.zeros((1, core.NUM_PLAYERS, max_events, core.EVENT_FIELDS), np.float32)
        self.counts = np.zeros((1, core.NUM_PLAYERS), np.int64)
        self.hist = [np.zeros((1, HISTORY, max_events, core.EVENT_FIELDS), np.float32) for _ in range(2)]
        self.hist_len = [np.zeros((1, HISTORY), np.int32) for _ in range(2)]
        self.obs_buf = np.zeros(observe.obs_size(self.rules), np.float32)
        self.since_opp = np.zeros(core.NUM_PLAYERS, np.int64)
        self._builds = np.zeros((1, core.NUM_PLAYERS), np.int64)
        self._active = np.ones(1, np.bool_)
        self._order = np.zeros(max_events, np.int64)
        self._plan = scripted.new_plan()

    # ------------------------------------------------------------------ hooks
    def _reset_game(self) -> None:
        s = self.state
        for p, b in enumerate(self.build_ids):
            self._builds[0, p] = b if b >= 0 else int(rng.randint(s.rng_state, 0, core.NUM_BUILDS))
        core.reset_envs(s, self._active, self._builds, np.zeros(1, np.bool_))
        for p in range(core.NUM_PLAYERS):
            self.hist[p][:] = 0.0
            self.hist_len[p][:] = 0
        self.since_opp[:] = 0
        self.counts[:] = 0
        self.events[:] = 0.0

    def _step_game(self, actions: Any, acting: np.ndarray) -> None:
        s = self.state
        for p in range(core.NUM_PLAYERS):
            self.counts[0, p] = actions["n"][p] if acting[p] else 0
            self.events[0, p] = actions["events"][p]
        # Bots add their events, the tick resolves.
        scripted.bot_events(s, self.policies, self.events, self.counts, self._active, self._plan)
        core.step_envs(s, self.events, self.counts, self._active, self._order)
        for p in range(core.NUM_PLAYERS):
            observe.push_history(self.events, self.counts, p, self.hist[p], self.hist_len[p], self._active, self._order)
            self.since_opp[p] = 0 if s.last_style[0, 1 - p] >= 0 else self.since_opp[p] + 1
        done = np.array([s.done[0] == 1])
        for p in range(core.NUM_PLAYERS):
            self.player_rewards[p] = damage_rewards(s, p, done, self.reward_mode)[0]
        self.player_done[:] = bool(s.done[0])

    def _observe(self, player: int) -> dict[str, np.ndarray]:
        observe.write_observation(self.state, 0, player, self.obs_buf, self.since_opp[player])
        return {"gamestate": self.obs_buf.copy(), "action_history": self.hist[player][0].copy(),
                "history_len": self.hist_len[player][0].copy()}

    def _info(self, player: int) -> dict[str, Any]:
        s = self.state
        return {"hp": int(s.hp[0, player]), "opponent_hp": int(s.hp[0, 1 - player]), "winner": int(s.winner[0]),
                "tick": int(s.tick[0])}

    def _render_frame(self) -> np.ndarray:
        from . import render

        seat = self.view_seat
        return render.render_rgb(self.state, 0, seat, self.events[0, seat], int(self.counts[0, seat]))

    def _placements(self) -> np.ndarray:
        """Each seat's placement, 1 = best (int64 [2]).

        The survivor of a kill wins; a double knockout is a draw (both 1). A duel that ran out of ticks goes to
        the player with the larger share of their hitpoints left (equal shares draw), the usual timeout rule.
        """
        s = self.state
        winner = int(s.winner[0])
        if winner in (0, 1):
            return np.array([1, 2] if winner == 0 else [2, 1], dtype=np.int64)
        if winner == 2:
            return np.ones(2, dtype=np.int64)
        # Cross-multiplied so equal shares compare exactly.
        left0 = int(s.hp[0, 0]) * int(s.stats[0, 1, core.S_HP])
        left1 = int(s.hp[0, 1]) * int(s.stats[0, 0, core.S_HP])
        return np.array([1 + int(left1 > left0), 1 + int(left0 > left1)], dtype=np.int64)


def parallel_env(**kwargs: Any) -> TickDuelParallelEnv:
    """The PettingZoo ``ParallelEnv`` (keyword arguments as ``TickDuelParallelEnv``)."""
    return TickDuelParallelEnv(**kwargs)


def env(**kwargs: Any) -> Any:
    """The PettingZoo AEC env: ``parallel_to_aec(parallel_env(**kwargs))``."""
    return parallel_to_aec(parallel_env(**kwargs))


__all__ = ["TickDuelParallelEnv", "env", "parallel_env"]
