"""Train the attention-CNN Territory policy with MaskablePPO, then evaluate it on held-out seeds.

The short version of ``botarena train territory`` (which adds a curriculum, TensorBoard, evaluation during
training, atomic checkpoints and --resume): the native batch (``gym.make_vec``) through ``SB3VecEnv``, the
``attention`` extractor of ``botarena.agents.territory.policy``, and a greedy evaluation.

    python examples/train_territory.py                      # duel vs expander, 4,096 steps: ~30 s
    python examples/train_territory.py --timesteps 150000   # a longer run (~11 minutes at the rate below)

Its defaults printed, on this project's 2-core machine with nothing else running (2026-12-06, 27 s in all):

    trained 4096 steps in 17.8 s (230 steps/s)
    held-out duel vs expander, 8 games: won 0%, mean placement 2.00, final land share 0.041

4,096 steps teach nothing yet; `botarena train territory` is the full recipe.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.vec_env import VecMonitor

import botarena.envs  # noqa: F401  (registers the botarena/... ids)
from botarena.agents.territory.policy import greedy_actions, policy_kwargs
from botarena.envs.common.sb3 import SB3VecEnv

HELD_OUT = 2**32 + 10**6  # evaluation seeds: never a training seed (below 2**32) nor the leaderboard's (2**40+)


def evaluate(model: MaskablePPO, env_kwargs: dict, games: int) -> tuple[np.ndarray, np.ndarray]:
    """Placement and final land share of the greedy policy's first game in each of ``games`` held-out envs."""
    envs = gym.make_vec("botarena/Territory-v2", num_envs=games, vectorization_mode="vector_entry_point",
                        **env_kwargs)
    obs, _ = envs.reset(seed=HELD_OUT)
    placement, share = np.zeros(games, np.int64), np.zeros(games)
    finished = np.zeros(games, bool)
    model.policy.set_training_mode(False)
    while not finished.all():
        obs, _, terminated, truncated, infos = envs.step(greedy_actions(model.policy, obs))
        ended = (terminated | truncated) & ~finished
        if ended.any():  # the batch restarted those games: their last info is in final_info
            placement[ended] = infos["final_info"]["placement"][ended]
            share[ended] = infos["final_info"]["land_share"][ended]
            finished |= ended
    envs.close()
    return placement, share


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=4096)
    parser.add_argument("--num-envs", type=int, default=16)
    parser.add_argument("--opponents", default="expander")
    parser.add_argument("--preset", default="duel")
    parser.add_argument("--eval-games", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-episode-steps", type=int, default=1000, help="truncation (registered: 1,000)")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)

    env_kwargs = {"preset": args.preset, "opponents": args.opponents, "max_episode_steps": args.max_episode_steps}
    envs = gym.make_vec("botarena/Territory-v2", num_envs=args.num_envs, vectorization_mode="vector_entry_point",
                        **env_kwargs)
    venv = VecMonitor(SB3VecEnv(envs))
    venv.seed(args.seed)
    model = MaskablePPO("MultiInputPolicy", venv, n_steps=128, batch_size=256, n_epochs=4, gamma=0.995,
                        ent_coef=0.01, policy_kwargs=policy_kwargs("attention"), seed=args.seed, device="cpu")
    start = time.perf_counter()
    model.learn(total_timesteps=args.timesteps)
    elapsed = time.perf_counter() - start
    print(f"trained {model.num_timesteps} steps in {elapsed:.1f} s ({model.num_timesteps / elapsed:,.0f} steps/s)")

    placement, share = evaluate(model, env_kwargs, args.eval_games)
    print(f"held-out {args.preset} vs {args.opponents}, {args.eval_games} games: won {np.mean(placement == 1):.0%}, "
          f"mean placement {placement.mean():.2f}, final land share {share.mean():.3f}")
    venv.close()


if __name__ == "__main__":
    main()
