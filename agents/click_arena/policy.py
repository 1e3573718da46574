"""``click_arena/hierarchical``: the learned Strategist / Tactician / Executor agent, each level at its own rate.

>>> from botarena.agents import make_agent                     # doctest: +SKIP
>>> agent = make_agent("click_arena/hierarchical")              # the shipped checkpoint
>>> agent.reset(seed=0); action = agent.act(obs)                # obs from ClickArena-v0, cursor="human"

Every frame the executor acts; every ``FRAMES_PER_TACTICIAN`` (6) frames the tactician chooses the target first;
every ``FRAMES_PER_STRATEGIST`` (60) frames, one second, the strategist reads the summary history and sets the
mode and goal first. Counting starts at the episode's first frame, so a batch slot whose episode restarts
(``reset_slots``) restarts its clocks, its history and its executor state. ``decisions()`` tells what each
level decided last (drawn by ``botarena play click_arena --spectate click_arena/hierarchical``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from botarena.agents.common.checkpoint import load_checkpoint, load_weights_into
from botarena.agents.common.protocol import BaseAgent
from botarena.envs.click_arena import bots, core
from botarena.envs.click_arena.core import StateColumn
from botarena.envs.common.motor import fitts_time, minimum_jerk_position

from . import features as fx
from .hierarchical import GOAL_DIM, TARGET_DIM, Hierarchy, HierarchyConfig, action_from_logits, executor_input

AGENT_NAME = "click_arena/hierarchical"
HANDS = ("human", "direct")


def load_hierarchy(checkpoint: str | Path) -> tuple[Hierarchy, Any]:
    """The model in a checkpoint written by ``botarena train click_arena`` (weights cast to float32), and its card."""
    state_dict, card, _ = load_checkpoint(checkpoint, expected_name=AGENT_NAME)
    model = Hierarchy(HierarchyConfig.from_dict(card.config.get("model", {})))
    state_dict = {k: v.float() if torch.is_tensor(v) and v.is_floating_point() else v for k, v in state_dict.items()}
    load_weights_into(model, state_dict, source=str(checkpoint))
    return model.eval(), card


class ClickTiming:
    """The executor's click probability is a *hazard*: the expert's chance of pressing on this very frame, about
    0.6 % on average and rarely above a few tens of percent even where a click is certain to come soon, because
    the exact frame depends on the expert's hidden hand (reaction time, settle). Thresholding it at 0.5 almost
    never clicks (the first trained agent: 0.23 normalised, 7 clicks in 1,000 of the expert's); so

    * deterministic: accumulate the hazard ``-log(1 - p)`` frame by frame and click when it reaches ``log 2``,
      the median of the click time the probabilities describe, then start again from 0;
    * stochastic: press with probability ``p`` each frame (the agent's generator).

    Both click at the rate the probabilities imply. One accumulator per batch slot.
    """

    THRESHOLD = math.log(2.0)

    def __init__(self, size: int) -> None:
        self.hazard = np.zeros(size, np.float64)

    def clicks(self, probability: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        """``probability [B]`` -> clicks ``[B]`` as 0 / 1 (``rng`` None: deterministic)."""
        if rng is not None:
            return (rng.random(probability.shape[0]) < probability).astype(np.float32)
        self.hazard -= np.log1p(-np.minimum(probability, 1.0 - 1e-7))
        click = self.hazard >= self.THRESHOLD
        self.hazard[click] = 0.0
        return click.astype(np.float32)

    def reset(self, mask: np.ndarray) -> None:
        self.hazard[mask] = 0.0


class HumanHand:
    """Carries the commanded cursor to the executor's aim point the way the expert's hand moves: a
    minimum-jerk path lasting Fitts' time (``envs/common/motor.py``, with the expert's constants), so the
    learned agent's cursor moves like a person's instead of at the cursor's top speed.

    The executor says *where* (its cursor outputs are the aim point) and *when* (the click); the hand only
    shapes the path. An aim point more than ``RETARGET_PX`` from the movement's end starts a new movement
    from the last commanded point; a nearer one moves the end (a drifting target is followed). One movement
    per batch slot.
    """

    RETARGET_PX = bots.POINT_WIDTH  # a new target, not the same one drifting
    WIDTH_PX = bots.POINT_WIDTH  # Fitts' target width (the expert's for a point; objects' click circles are alike)

    def __init__(self, size: int) -> None:
        self.start = np.zeros((size, 2))
        self.end = np.full((size, 2), np.nan)  # nan: no movement yet
        self.elapsed = np.zeros(size)
        self.duration = np.ones(size)

    def command(self, aim: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """``aim`` and ``previous`` (the last commanded point) ``[B, 2]`` in screen fractions -> the point to
        command this frame ``[B, 2]``."""
        screen = np.array([core.VIEW_W, core.VIEW_H])
        aim_px, previous_px = aim * screen, previous * screen
        out = np.empty_like(aim_px)
        for i in range(aim_px.shape[0]):
            if np.isnan(self.end[i, 0]) or np.hypot(*(aim_px[i] - self.end[i])) > self.RETARGET_PX:
                self.start[i] = previous_px[i]
                self.elapsed[i] = 0.0
                distance = float(np.hypot(*(aim_px[i] - previous_px[i])))
                self.duration[i] = fitts_time(distance, self.WIDTH_PX, bots.FITTS_A, bots.FITTS_B)
            self.end[i] = aim_px[i]
            self.elapsed[i] += core.DT
            tau = min(self.elapsed[i] / self.duration[i], 1.0)
            for axis in range(2):
                out[i, axis] = minimum_jerk_position(self.start[i, axis], self.end[i, axis], tau)
        return out / screen

    def reset(self, mask: np.ndarray) -> None:
        self.end[mask] = np.nan


class HierarchicalAgent(BaseAgent):
    """Acts on ClickArena observations (``objects``, ``object_mask``, ``state``) one frame at a time.

    Args:
        checkpoint: a checkpoint of ``botarena train click_arena``; or pass ``model``.
        model: a :class:`Hierarchy` to act with (training evaluates its current weights this way).
        hand: ``"human"`` moves the cursor to the executor's aim point along the expert's motor model
            (``HumanHand``); ``"direct"`` commands the aim point itself (the cursor then flies there at the
            env's top cursor speed).
        deterministic: click when the accumulated click hazard reaches its median (``ClickTiming``); otherwise
            each frame's click is drawn from its probability with the agent's generator. The attack key, a
            button held for seconds, is held while its probability exceeds 0.5 either way.
    """

    name = AGENT_NAME

    def __init__(self, checkpoint: str | Path | None = None, *, model: Hierarchy | None = None,
                 hand: str = "human", deterministic: bool = True) -> None:
        super().__init__(deterministic=deterministic)
        if hand not in HANDS:
            raise ValueError(f"hand must be one of {list(HANDS)}, got {hand!r}")
        self.hand_mode = hand
        if (checkpoint is None) == (model is None):
            raise ValueError("HierarchicalAgent needs exactly one of checkpoint= or model=")
        self.card = None
        if model is None:
            model, self.card = load_hierarchy(checkpoint)
        self.model = model
        self._size = 0

    # ------------------------------------------------------------------ episode state
    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self._size = 0  # slots are made for the first batch seen

    def _allocate(self, size: int) -> None:
        self._size = size
        self.t = np.zeros(size, np.int64)
        self.history = torch.zeros(size, fx.HISTORY_SECONDS, fx.SUMMARY_FEATURES)
        self.goal = torch.zeros(size, GOAL_DIM)
        self.mode = np.zeros(size, np.int64)
        self.confidence = np.zeros(size, np.float32)
        self.target_info = torch.zeros(size, TARGET_DIM)
        self.slot = np.zeros(size, np.int64)
        self.approach = np.zeros(size, np.int64)
        self.executor_state = self.model.executor.initial_state(size)
        self.click_timing = ClickTiming(size)
        self.hand = HumanHand(size)

    @torch.inference_mode()  # the slots hold inference tensors (act_batch made them)
    def reset_slots(self, mask: np.ndarray) -> None:
        """Restart the batch slots where ``mask`` is true (their episodes ended; the next frame is a first)."""
        mask = np.asarray(mask, np.bool_)
        if self._size == 0 or not mask.any():
            return
        if mask.shape != (self._size,):
            raise ValueError(f"reset_slots: mask must have shape ({self._size},), got {mask.shape}")
        self.t[mask] = 0
        rows = torch.as_tensor(mask)
        self.history[rows] = 0.0
        self.goal[rows] = 0.0
        self.target_info[rows] = 0.0
        self.executor_state = self.model.executor.core.reset_state(self.executor_state, mask)
        self.click_timing.reset(mask)
        self.hand.reset(mask)

    # ------------------------------------------------------------------ acting
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        if not isinstance(obs, dict):
            _observation(obs)  # raises the error that says what an observation is
        batch = {key: np.asarray(value)[None] for key, value in obs.items()}
        return self.act_batch(batch)[0]

    @torch.inference_mode()
    def act_batch(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        objects, mask, state = _observation(obs)
        size = state.shape[0]
        if self._size != size:
            self._allocate(size)
        strategist_due = self.t % fx.FRAMES_PER_STRATEGIST == 0
        if strategist_due.any():
            self._run_strategist(np.flatnonzero(strategist_due), objects, mask, state)
        tactician_due = self.t % fx.FRAMES_PER_TACTICIAN == 0
        if tactician_due.any():
            self._run_tactician(np.flatnonzero(tactician_due), objects, mask)
        x = executor_input(torch.from_numpy(state), self.goal, self.target_info)
        logits, self.executor_state = self.model.executor.step(x, self.executor_state)
        action = action_from_logits(logits).numpy()
        if self.hand_mode == "human":
            previous = state[:, [StateColumn.CMD_X, StateColumn.CMD_Y]].astype(np.float64)
            action[:, :2] = self.hand.command(action[:, :2].astype(np.float64), previous)
        click_probability = torch.sigmoid(logits[:, 2]).double().numpy()
        action[:, 2] = self.click_timing.clicks(click_probability, None if self.deterministic else self.rng)
        self.t += 1
        return action.astype(np.float32)

    def _run_strategist(self, rows: np.ndarray, objects: np.ndarray, mask: np.ndarray, state: np.ndarray) -> None:
        summary = torch.from_numpy(fx.summarize(objects[rows], mask[rows], state[rows]))
        index = torch.as_tensor(rows)
        self.history[index] = torch.cat([self.history[index, 1:], summary[:, None]], dim=1)
        mode_logits, goal, confidence = self.model.strategist(self.history[index])
        self.goal[index] = goal
        self.mode[rows] = mode_logits.argmax(-1).numpy()
        self.confidence[rows] = torch.sigmoid(confidence).numpy()

    def _run_tactician(self, rows: np.ndarray, objects: np.ndarray, mask: np.ndarray) -> None:
        index = torch.as_tensor(rows)
        out = self.model.tactician(torch.from_numpy(objects[rows]), torch.from_numpy(mask[rows]), self.goal[index])
        self.target_info[index] = out.target_info
        self.slot[rows] = out.log_attention.argmax(-1).numpy()
        self.approach[rows] = out.approach_logits.argmax(-1).numpy()

    def decisions(self, slot: int = 0) -> dict[str, Any]:
        """What each level last decided for batch slot ``slot``: mode, confidence, target slot (0 = no object,
        else 1 + the ``objects`` row), approach, and the target's screen point in fractions."""
        if self._size == 0:
            return {}
        return {"mode": int(self.mode[slot]), "confidence": float(self.confidence[slot]),
                "target_slot": int(self.slot[slot]), "approach": int(self.approach[slot]),
                "target_xy": self.target_info[slot, -2:].numpy().copy()}


def _observation(obs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three arrays the agent reads, batched and typed, with a clear error for anything else."""
    if not isinstance(obs, dict) or not {"objects", "object_mask", "state"} <= set(obs):
        got = sorted(obs) if isinstance(obs, dict) else type(obs).__name__
        raise ValueError(f"{AGENT_NAME}: the observation must be ClickArena's dict with 'objects', 'object_mask' "
                         f"and 'state' (obs_mode='objects' or 'pixels'), got {got}")
    objects = np.ascontiguousarray(obs["objects"], np.float32)
    mask = np.ascontiguousarray(obs["object_mask"], np.float32)
    state = np.ascontiguousarray(obs["state"], np.float32)
    b = state.shape[0] if state.ndim == 2 else -1
    want = {"objects": (b, fx.NUM_OBJECTS, fx.OBJECT_FEATURES), "object_mask": (b, fx.NUM_OBJECTS),
            "state": (b, fx.STATE_FEATURES)}
    for key, array in (("objects", objects), ("object_mask", mask), ("state", state)):
        if array.shape != want[key]:
            raise ValueError(f"{AGENT_NAME}: obs[{key!r}] must have shape [batch, "
                             f"{', '.join(map(str, want[key][1:]))}], got {list(array.shape)}")
    if not (np.isfinite(objects).all() and np.isfinite(state).all()):
        raise ValueError(f"{AGENT_NAME}: the observation holds NaN or infinite values")
    return objects, mask, state
