"""Human-likeness: can a classifier tell an agent's cursor movements from the expert's human motor model?

No score measures *how* an agent moves the cursor, only what it achieves. Here each aimed movement (the
cursor's path from one click to the next) becomes a few features a mouse-dynamics study would use:

=======================  =============================================================================
feature                  meaning
=======================  =============================================================================
duration                 seconds from the previous click to this one
straightness             straight distance / path length (1 = a ruler-straight path)
peak_speed, mean_speed   of the cursor, screen pixels per second
submovements             local speed peaks above 20 % of the movement's peak (corrective submovements)
reaction                 seconds from the previous click until the cursor first moves faster than 60 px/s
scatter                  distance from the click to the nearest object's centre, in object click radii
fitts_ratio              movement time over Fitts' index of difficulty ``log2(D / W + 1)``, W = 2 radii
=======================  =============================================================================

A logistic-regression classifier (standardised features) learns "expert or not" on the movements of half of
the games and is scored on the other half: held-out accuracy near 50 % means the agent moves like the expert's
human motor model; the motor-free ``aimbot`` should be caught nearly always.

    python -m botarena.agents.click_arena.humanlike --checkpoint agents/checkpoints/click-arena-hierarchical.pt
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from botarena.envs.click_arena import ClickArenaVectorEnv, bots, core
from botarena.envs.click_arena.core import ObjectColumn, StateColumn

FEATURES = ("duration", "straightness", "peak_speed", "mean_speed", "submovements", "reaction", "scatter",
            "fitts_ratio")
MOVING_PX_PER_S = 60.0
SUBMOVEMENT_PEAK = 0.2


def cursor_traces(driver: str | Any, num_envs: int, frames: int, seed: int) -> dict[str, np.ndarray]:
    """Play ``num_envs`` games (seeds ``seed + i``) driven by a built-in bot name or an agent; record per frame
    the cursor (screen px), the click press and the objects on screen. Frames after an env's first episode ended
    are marked invalid."""
    n = num_envs
    env = ClickArenaVectorEnv(n, cursor="human")
    obs, _ = env.reset(seed=seed)
    bot = isinstance(driver, str)
    if bot:
        state = bots.BotState.allocate(n)
        bots.reset_bots(env.state.copy(), state, np.ones(n, np.uint8))  # a copy: the env's RNG stays untouched
        policies = bots.policy_ids({0: driver}, n)
        actions = np.zeros((n, core.MAX_SHIPS, 4), np.float32)
    else:
        driver.reset(seed)
    out = {"cursor": np.zeros((n, frames, 2)), "press": np.zeros((n, frames), bool),
           "objects": np.zeros((n, frames, core.NUM_OBJECTS, 3)), "valid": np.zeros((n, frames), bool)}
    held = np.zeros(n, bool)
    alive = np.ones(n, bool)
    try:
        for k in range(frames):
            if bot:
                bots.bot_actions(env.state, state, policies, actions, np.ones(n, np.uint8))
                action = actions[:, 0].copy()
            else:
                action = np.asarray(driver.act_batch(obs), np.float32)
            out["cursor"][:, k, 0] = obs["state"][:, StateColumn.CURSOR_X] * core.VIEW_W
            out["cursor"][:, k, 1] = obs["state"][:, StateColumn.CURSOR_Y] * core.VIEW_H
            present = obs["object_mask"] > 0
            out["objects"][:, k, :, 0] = np.where(present, obs["objects"][:, :, ObjectColumn.SCREEN_X] * core.VIEW_W,
                                                  np.nan)
            out["objects"][:, k, :, 1] = obs["objects"][:, :, ObjectColumn.SCREEN_Y] * core.VIEW_H
            out["objects"][:, k, :, 2] = obs["objects"][:, :, ObjectColumn.RADIUS] * 50.0
            pressed = action[:, 2] > 0.5
            out["press"][:, k] = pressed & ~held
            held = pressed
            out["valid"][:, k] = alive
            obs, _, terminated, truncated, _ = env.step(action)
            alive &= ~(terminated | truncated)
    finally:
        env.close()
    return out


def movement_features(trace: dict[str, np.ndarray]) -> np.ndarray:
    """One row of ``FEATURES`` per movement (click to click) of every env: ``[M, 8]``."""
    rows = []
    dt = 1.0 / core.FPS
    for e in range(trace["press"].shape[0]):
        clicks = np.flatnonzero(trace["press"][e] & trace["valid"][e])
        for a, b in zip(clicks[:-1], clicks[1:], strict=True):
            path = trace["cursor"][e, a:b + 1]
            steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
            speed = steps / dt
            length = steps.sum()
            straight = np.linalg.norm(path[-1] - path[0])
            duration = (b - a) * dt
            peak = speed.max() if len(speed) else 0.0
            above = speed > SUBMOVEMENT_PEAK * max(peak, 1e-9)
            local = np.r_[False, (speed[1:-1] > speed[:-2]) & (speed[1:-1] >= speed[2:]), False] if len(speed) > 2 \
                else np.zeros(len(speed), bool)
            submovements = int(np.sum(local & above)) if peak > 0 else 0
            moving = np.flatnonzero(speed > MOVING_PX_PER_S)
            reaction = (moving[0] + 1) * dt if len(moving) else duration
            objects = trace["objects"][e, b]
            distances = np.linalg.norm(objects[:, :2] - path[-1], axis=1)
            if np.all(np.isnan(distances)):
                scatter, width = 10.0, 40.0  # nothing on screen: a click into empty space
            else:
                nearest = np.nanargmin(distances)
                radius = max(objects[nearest, 2], 1.0)
                scatter, width = min(distances[nearest] / radius, 10.0), 2.0 * radius
            fitts = np.log2(straight / width + 1.0)
            rows.append([duration, straight / length if length > 0 else 1.0, peak, length / duration, submovements,
                         reaction, scatter, duration / max(fitts, 0.1)])
    return np.asarray(rows, np.float64).reshape(-1, len(FEATURES))


def train_classifier(positive: np.ndarray, negative: np.ndarray, seed: int = 0, steps: int = 2000,
                     lr: float = 0.1) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Logistic regression on standardised features (full-batch gradient descent, L2 1e-3), classes balanced by
    subsampling the larger one. Returns (weights with bias last, the feature means and sds)."""
    rng = np.random.default_rng(seed)
    m = min(len(positive), len(negative))
    if m < 4:
        raise ValueError(f"need at least 4 movements of each class, got {len(positive)} and {len(negative)}")
    x = np.concatenate([positive[rng.choice(len(positive), m, replace=False)],
                        negative[rng.choice(len(negative), m, replace=False)]])
    y = np.r_[np.ones(m), np.zeros(m)]
    mean, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.c_[(x - mean) / sd, np.ones(len(x))]
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-z @ w))
        grad = z.T @ (p - y) / len(y) + 1e-3 * np.r_[w[:-1], 0.0]
        w -= lr * grad
    accuracy = float(np.mean((z @ w > 0) == (y > 0.5)))
    return w, accuracy, mean, sd


def classifier_accuracy(w: np.ndarray, mean: np.ndarray, sd: np.ndarray, positive: np.ndarray,
                        negative: np.ndarray, seed: int = 0) -> float:
    """Accuracy on balanced held-out movements (positive = the expert)."""
    rng = np.random.default_rng(seed)
    m = min(len(positive), len(negative))
    x = np.concatenate([positive[rng.choice(len(positive), m, replace=False)],
                        negative[rng.choice(len(negative), m, replace=False)]])
    y = np.r_[np.ones(m), np.zeros(m)]
    z = np.c_[(x - mean) / sd, np.ones(len(x))]
    return float(np.mean((z @ w > 0) == (y > 0.5)))


def detectability(other: str | Any, *, num_envs: int = 16, frames: int = 3600, seed: int = 2**32 + 500) -> dict:
    """Held-out accuracy of a classifier telling ``other``'s movements from the expert's: each plays its own
    ``num_envs`` games (the expert seeds ``seed + i``, the other ``seed + num_envs + i``); the classifier trains
    on the movements of the first half of each one's games and is scored on the second half."""
    half = num_envs // 2
    parts = {}
    for name, driver, first_seed in (("expert", "expert", seed), ("other", other, seed + num_envs)):
        trace = cursor_traces(driver, num_envs, frames, first_seed)
        parts[name] = (movement_features({k: v[:half] for k, v in trace.items()}),
                       movement_features({k: v[half:] for k, v in trace.items()}))
    w, train_accuracy, mean, sd = train_classifier(parts["expert"][0], parts["other"][0])
    return {"held_out_accuracy": classifier_accuracy(w, mean, sd, parts["expert"][1], parts["other"][1]),
            "train_accuracy": train_accuracy, "movements": {k: [len(v[0]), len(v[1])] for k, v in parts.items()},
            "seeds": f"{seed}..{seed + 2 * num_envs - 1}", "frames": frames,
            "weights": dict(zip(FEATURES, np.round(w[:-1], 3).tolist(), strict=True))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=None, help="a hierarchical agent checkpoint to test (else only the "
                                                           "aimbot and the expert's own second half)")
    parser.add_argument("--envs", type=int, default=16)
    parser.add_argument("--frames", type=int, default=3600)
    args = parser.parse_args(argv)
    import json

    report = {"aimbot": detectability("aimbot", num_envs=args.envs, frames=args.frames),
              "expert (control)": detectability("expert", num_envs=args.envs, frames=args.frames)}
    if args.checkpoint:
        from .policy import HANDS, HierarchicalAgent

        for hand in HANDS:
            report[f"hierarchical (hand={hand})"] = detectability(
                HierarchicalAgent(checkpoint=args.checkpoint, hand=hand), num_envs=args.envs, frames=args.frames)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
