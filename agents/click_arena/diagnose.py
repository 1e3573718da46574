"""Where the hierarchical agent's score goes: the situations it spends its time in, and how it explores.

A driver (the agent or the expert) plays held-out games while the expert labels every state it reaches. The
report says, per driver,

* ``return_mean`` and ``mode_share``: the share of frames in which the expert would fight, loot, flee, explore
  or repair (an agent that finds few aliens spends its time in ``explore`` states);
* ``explore``: in the frames the expert would explore, how often the ship is flying, how far it is from the
  map's edge (median, and the share within ``EDGE_PX``), and, near the edge and away from it, the cosine
  between "toward the map centre" and the direction of the expert's goal, of the expert's aim point (the
  executor's label, relative to the ship at the screen's centre), of the strategist's goal (read
  through its training-only ``goal_decoder``), of the tactician's point and of the executor's aim point.
  The expert's waypoints lie inside the map, so its goal points inward; a level whose cosine is negative
  steers the ship into the edge. For the agent, also the executor's *gate* (the share of the way from the
  point it last commanded to the tactician's target that its aim starts from, ``hierarchical.Executor``: 0
  holds the hand where it is) and the inward cosine of that last commanded point.

``--strategist-memory S`` blanks all but the strategist's last ``S`` seconds of history at every decision (as
the padding before an episode's first second reads): whether a level's direction comes from the heading the
history shows.

    python -m botarena.agents.click_arena.diagnose --checkpoint agents/checkpoints/click-arena-hierarchical.pt
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np
import torch

from botarena.envs.click_arena import ClickArenaVectorEnv, bots, core

from . import features as fx
from .policy import HANDS, HierarchicalAgent
from .train import HELD_OUT_SEED_BASE

EDGE_PX = 100.0  # "at the edge": the ship this close to the map's border
LEVELS = ("expert_goal", "expert_aim", "strategist_goal", "tactician_point", "executor_aim", "previous_command")


class ShortMemoryAgent(HierarchicalAgent):
    """The agent with a strategist that sees only the last ``memory`` seconds of its history (a diagnosis)."""

    def __init__(self, *args: Any, memory: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not 1 <= memory <= fx.HISTORY_SECONDS:
            raise ValueError(f"memory must be 1..{fx.HISTORY_SECONDS} seconds, got {memory}")
        self.memory = memory

    def _run_strategist(self, rows: np.ndarray, objects: np.ndarray, mask: np.ndarray, state: np.ndarray) -> None:
        super()._run_strategist(rows, objects, mask, state)  # keeps the whole history, as the agent does
        index = torch.as_tensor(rows)
        history = self.history[index].clone()
        history[:, :-self.memory] = 0.0
        mode_logits, goal, _ = self.model.strategist(history)
        self.goal[index] = goal
        self.mode[rows] = mode_logits.argmax(-1).numpy()


def _inward(ship_xy: np.ndarray) -> np.ndarray:
    """Unit vectors from each ship toward the map centre ``[N, 2]``."""
    toward = np.array([core.MAP_W / 2, core.MAP_H / 2]) - ship_xy
    return toward / np.maximum(np.linalg.norm(toward, axis=1, keepdims=True), 1e-9)


def _cosine(vectors: np.ndarray, unit: np.ndarray) -> np.ndarray:
    return (vectors * unit).sum(axis=1) / np.maximum(np.linalg.norm(vectors, axis=1), 1e-9)


def diagnose(driver: str | HierarchicalAgent, *, num_envs: int = 16, frames: int = 10_800,
             seed: int = HELD_OUT_SEED_BASE) -> dict[str, Any]:
    """Play ``num_envs`` games (seeds ``seed + i``, each env's first episode) with ``driver`` (``"expert"`` or
    an agent) and report where its frames go (module docstring)."""
    agent = None if isinstance(driver, str) else driver
    if agent is None and driver != "expert":
        raise ValueError(f"driver must be 'expert' or a HierarchicalAgent, got {driver!r}")
    env = ClickArenaVectorEnv(num_envs, cursor="human")
    obs, _ = env.reset(seed=seed)
    if agent is not None:
        agent.reset(seed)
    screen = np.array([core.VIEW_W, core.VIEW_H])
    alive = np.ones(num_envs, bool)
    returns = np.zeros(num_envs)
    mode_frames = np.zeros(fx.NUM_MODES)
    moving, edge, near_edge = [], [], []
    cosines: dict[str, list[np.ndarray]] = {level: [] for level in LEVELS}
    gates: list[np.ndarray] = []
    gate_now = np.zeros(num_envs)  # the executor's gate in the frame it just stepped, per env

    def read_gate(_module: torch.nn.Module, _inputs: Any, output: torch.Tensor) -> None:
        gate_now[:] = torch.sigmoid(output)[:, 0].numpy()

    gate_layer = None if agent is None else agent.model.executor.gate  # None: an executor without the gate
    hook = None if gate_layer is None else gate_layer.register_forward_hook(read_gate)
    try:
        for _ in range(frames):
            labels = env.expert_labels()
            action = labels["action"] if agent is None else np.asarray(agent.act_batch(obs), np.float32)
            s = env.state
            mode_frames += np.bincount(labels["mode"][alive], minlength=fx.NUM_MODES)
            rows = alive & (labels["mode"] == bots.MODE_EXPLORE)
            if rows.any():
                ship = np.stack([s.ship_x[rows, 0], s.ship_y[rows, 0]], axis=1)
                to_edge = np.minimum(np.minimum(ship[:, 0], core.MAP_W - ship[:, 0]),
                                     np.minimum(ship[:, 1], core.MAP_H - ship[:, 1]))
                moving.append(s.ship_moving[rows, 0] > 0)
                edge.append(to_edge)
                near_edge.append(to_edge < EDGE_PX)
                inward = _inward(ship)
                cosines["expert_goal"].append(_cosine(fx.goal_offset(s, labels)[rows], inward))
                cosines["expert_aim"].append(_cosine(fx.point_xy(labels)[rows] - 0.5, inward))
                if agent is not None:
                    with torch.inference_mode():
                        goal = agent.model.strategist.goal_decoder(agent.goal[torch.as_tensor(rows)]).numpy()
                    aim = agent.hand.end[rows] / screen if agent.hand_mode == "human" else action[rows, :2]
                    cosines["strategist_goal"].append(_cosine(goal, inward))
                    cosines["tactician_point"].append(_cosine(agent.target_info[rows, -2:].numpy() - 0.5, inward))
                    cosines["executor_aim"].append(_cosine(np.nan_to_num(aim, nan=0.5) - 0.5, inward))
                    previous = obs["state"][rows][:, [core.StateColumn.CMD_X, core.StateColumn.CMD_Y]]
                    cosines["previous_command"].append(_cosine(previous - 0.5, inward))
                    if hook is not None:
                        gates.append(gate_now[rows])
            obs, reward, terminated, truncated, _ = env.step(action)
            returns += np.where(alive, reward, 0.0)
            done = terminated | truncated
            alive &= ~done
            if agent is not None and done.any():
                agent.reset_slots(done)
            if not alive.any():
                break
    finally:
        env.close()
        if hook is not None:
            hook.remove()
    report: dict[str, Any] = {
        "return_mean": float(returns.mean()),
        "mode_share": dict(zip(bots.MODE_NAMES, np.round(mode_frames / max(1, mode_frames.sum()), 3).tolist(),
                               strict=True)),
        "seeds": f"{seed}..{seed + num_envs - 1}", "frames": frames}
    if edge:
        at_edge = np.concatenate(near_edge)
        explore = {"frames": int(at_edge.size), "flying": float(np.concatenate(moving).mean()),
                   "edge_distance_median_px": float(np.median(np.concatenate(edge))),
                   f"share_within_{EDGE_PX:.0f}px_of_edge": float(at_edge.mean())}
        for level, parts in cosines.items():
            if parts:
                values = np.concatenate(parts)
                explore[f"inward_cosine_{level}"] = {
                    "at_edge": float(values[at_edge].mean()) if at_edge.any() else None,
                    "inside": float(values[~at_edge].mean()) if (~at_edge).any() else None}
        if gates:
            gate = np.concatenate(gates)
            explore["executor_gate"] = {"at_edge": float(gate[at_edge].mean()) if at_edge.any() else None,
                                        "inside": float(gate[~at_edge].mean()) if (~at_edge).any() else None}
        report["explore"] = explore
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m botarena.agents.click_arena.diagnose",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=None, help="a hierarchical agent checkpoint (else the expert only)")
    parser.add_argument("--hand", choices=HANDS, default="human")
    parser.add_argument("--envs", type=int, default=16)
    parser.add_argument("--frames", type=int, default=10_800)
    parser.add_argument("--strategist-memory", type=int, default=None, metavar="S",
                        help="the strategist sees only its last S seconds (default: all 60)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    report = {"expert": diagnose("expert", num_envs=args.envs, frames=args.frames)}
    if args.checkpoint:
        if args.strategist_memory is None:
            agent = HierarchicalAgent(args.checkpoint, hand=args.hand)
        else:
            agent = ShortMemoryAgent(args.checkpoint, hand=args.hand, memory=args.strategist_memory)
        memory = args.strategist_memory or fx.HISTORY_SECONDS
        report[f"hierarchical (hand={args.hand}, strategist memory {memory} s)"] = diagnose(
            agent, num_envs=args.envs, frames=args.frames)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
