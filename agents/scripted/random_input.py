"""Random mouse-and-keyboard players for the games driven by input devices: ClickArena and TickDuel.

Each is two things at once. As the game's built-in ``random`` bot (``native_bot = "random"``),
``botarena.agents.play_episode`` and the leaderboard seat it inside the game, so its results there are the
bot's. As an observation agent, its ``act`` draws an action from the same distribution with the agent's own
generator (reseeded by ``reset``), for a Gymnasium loop or any code that holds only observations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import NativeBotAgent

__all__ = ["ClickArenaRandomAgent", "TickDuelRandomAgent"]


class ClickArenaRandomAgent(NativeBotAgent):
    """Random cursor targets, clicks and attack key, as ClickArena's built-in ``random`` bot."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("random", game="click_arena", **kwargs)

    def act(self, obs: Any) -> np.ndarray:
        from botarena.envs.click_arena.bots import RANDOM_CLICK_P

        # The bot's distribution (envs/click_arena/bots.py, _random_act): a uniform point on the screen, the
        # button pressed with probability RANDOM_CLICK_P, the attack key held half the time.
        cursor_x, cursor_y, click, attack = self.rng.random(4)
        return np.array([cursor_x, cursor_y, click < RANDOM_CLICK_P, attack < 0.5], np.float32)


# The built-in bot sends 0 to 12 events a tick and scrolls by -3 to +3 notches (envs/tick_duel/bots.py,
# random_events).
RANDOM_MAX_EVENTS = 12
RANDOM_MAX_SCROLL = 3


class TickDuelRandomAgent(NativeBotAgent):
    """Random input events (type, time, screen position, button, key, scroll), as TickDuel's ``random`` bot."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("random", game="tick_duel", **kwargs)

    def act(self, obs: Any) -> dict[str, Any]:
        from botarena.envs.tick_duel import core
        from botarena.envs.tick_duel.bots import LAST_EVENT_MS

        rng = self.rng
        max_events = np.shape(obs["action_history"])[1]  # the env's max_events sets the action's shape
        events = np.zeros((max_events, core.EVENT_FIELDS), np.float32)
        n = min(int(rng.integers(0, RANDOM_MAX_EVENTS + 1)), max_events)
        kinds = rng.integers(0, core.NUM_EVENT_TYPES, n)
        events[:n, core.F_TIME] = rng.uniform(0.0, LAST_EVENT_MS, n)
        events[:n, core.F_TYPE] = kinds
        events[:n, core.F_X] = rng.uniform(0.0, core.SCREEN_W - 1.0, n)
        events[:n, core.F_Y] = rng.uniform(0.0, core.SCREEN_H - 1.0, n)
        events[:n, core.F_BUTTON] = np.select([kinds == core.EV_LEFT_CLICK, kinds == core.EV_RIGHT_CLICK], [1, 2], 0)
        is_key = (kinds == core.EV_KEY_DOWN) | (kinds == core.EV_KEY_UP)
        events[:n, core.F_KEY] = np.where(is_key, rng.integers(0, core.NUM_KEYS, n), 0)
        scroll = rng.integers(-RANDOM_MAX_SCROLL, RANDOM_MAX_SCROLL + 1, n)
        events[:n, core.F_SCROLL] = np.where(kinds == core.EV_SCROLL, scroll, 0)
        return {"n": n, "events": events}
