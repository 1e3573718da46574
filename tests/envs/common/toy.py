"""A tiny batched game for testing the shared machinery (not shipped).

Corridor: a walker on cells 0..length-1 starts at a random cell left of the middle and wants to reach
the last cell. Actions: 0 left, 1 stay, 2 right. Each step a gust pushes it one cell left with
probability ``gust`` (drawn from the env's counter RNG), so trajectories depend on the seed.
Reward +1 on reaching the goal (terminated), -0.01 per step otherwise. "left" is masked at cell 0.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from numba import njit

from botarena.envs.common import rng
from botarena.envs.common.single import SingleEnvView
from botarena.envs.common.vector import BatchedVectorEnv


@njit(cache=True)
def _reset(pos, rng_state, mask, length):
    for i in range(pos.shape[0]):
        if mask[i]:
            pos[i] = rng.randint(rng_state, i, length // 2)


@njit(cache=True)
def _step(pos, rng_state, actions, active, rewards, terminated, length, gust):
    for i in range(pos.shape[0]):
        if not active[i]:
            continue
        pos[i] = min(max(pos[i] + actions[i] - 1, 0), length - 1)
        if pos[i] < length - 1 and rng.bernoulli(rng_state, i, gust):
            pos[i] = max(pos[i] - 1, 0)
        if pos[i] == length - 1:
            rewards[i] = 1.0
            terminated[i] = True
        else:
            rewards[i] = -0.01


@njit(cache=True)
def _observe(pos, length, obs_pos, obs_mask):
    for i in range(pos.shape[0]):
        obs_pos[i, 0] = pos[i] / (length - 1)
        obs_pos[i, 1] = 1.0 if pos[i] == 0 else 0.0
        obs_mask[i, 0] = 0 if pos[i] == 0 else 1
        obs_mask[i, 1] = 1
        obs_mask[i, 2] = 1


class CorridorVectorEnv(BatchedVectorEnv):
    metadata = {**BatchedVectorEnv.metadata, "render_modes": ["rgb_array"]}

    def __init__(self, num_envs: int = 1, length: int = 8, gust: float = 0.2, **kwargs):
        obs_space = spaces.Dict({
            "pos": spaces.Box(0.0, 1.0, (2,), np.float32),
            "action_mask": spaces.Box(0, 1, (3,), np.int8),
        })
        super().__init__(num_envs, obs_space, spaces.Discrete(3), **kwargs)
        self.length, self.gust = length, gust
        self.pos = np.zeros(self.num_envs, np.int64)
        self._obs = {"pos": np.zeros((self.num_envs, 2), np.float32),
                     "action_mask": np.zeros((self.num_envs, 3), np.int8)}

    def _reset_envs(self, mask):
        _reset(self.pos, self.rng_state, mask, self.length)

    def _step_envs(self, actions, active):
        _step(self.pos, self.rng_state, actions, active, self.rewards, self.terminated, self.length, self.gust)

    def _observation(self):
        _observe(self.pos, self.length, self._obs["pos"], self._obs["action_mask"])
        return self._obs

    def _info(self):
        return {"pos": self.pos.copy(), "_pos": np.ones(self.num_envs, np.bool_)}

    def action_masks(self):
        return self._observation()["action_mask"].astype(bool)

    def _render_frame(self, index):
        frame = np.zeros((8, 8 * self.length, 3), np.uint8)
        frame[:, 8 * self.pos[index]: 8 * self.pos[index] + 8] = (255, 0, 0)
        return frame


class CorridorEnv(SingleEnvView):
    vector_class = CorridorVectorEnv


def register_corridor() -> str:
    import gymnasium as gym

    env_id = "botarena-test/Corridor-v0"
    if env_id not in gym.registry:
        gym.register(env_id, entry_point=CorridorEnv, vector_entry_point=CorridorVectorEnv,
                     max_episode_steps=50)
    return env_id


# ---------------------------------------------------------------------- a two-player variant
from botarena.envs.common.multiagent import GameParallelEnv  # noqa: E402


class CorridorRace(GameParallelEnv):
    """Two walkers race to the last cell; the first there wins (+1, the other -1). A walker that steps
    left from cell 0 falls out of the game (-1) and the other races on alone."""

    metadata = {**GameParallelEnv.metadata, "name": "corridor_race_v0"}

    def __init__(self, length: int = 6, gust: float = 0.3, max_cycles: int | None = 40, render_mode=None,
                 bots=None):
        obs_space = spaces.Box(0.0, 1.0, (2,), np.float32)
        super().__init__(2, obs_space, spaces.Discrete(3), noop_action=1, bots=bots, max_cycles=max_cycles,
                         render_mode=render_mode)
        self.length, self.gust = length, gust
        self.pos = np.zeros(2, np.int64)

    def _reset_game(self):
        self.pos[:] = [rng.randint(self.rng_state, 0, self.length // 2) for _ in range(2)]

    def _step_game(self, actions, acting):
        for p in np.flatnonzero(acting):
            if self.pos[p] == 0 and actions[p] == 0:
                self.player_rewards[p], self.player_done[p] = -1.0, True
                continue
            self.pos[p] = min(max(self.pos[p] + actions[p] - 1, 0), self.length - 1)
            if rng.bernoulli(self.rng_state, 0, self.gust):
                self.pos[p] = max(self.pos[p] - 1, 0)
        winners = [p for p in np.flatnonzero(acting & ~self.player_done) if self.pos[p] == self.length - 1]
        if winners:
            for p in np.flatnonzero(acting):
                self.player_rewards[p] = 1.0 if p in winners else -1.0
                self.player_done[p] = True

    def _observe(self, player):
        return np.array([self.pos[player] / (self.length - 1), self.pos[1 - player] / (self.length - 1)],
                        np.float32)

    def _render_frame(self):
        frame = np.zeros((16, 8 * self.length, 3), np.uint8)
        for p, colour in ((0, (255, 0, 0)), (1, (0, 0, 255))):
            frame[8 * p: 8 * p + 8, 8 * self.pos[p]: 8 * self.pos[p] + 8] = colour
        return frame


def parallel_env(**kwargs):
    return CorridorRace(**kwargs)
