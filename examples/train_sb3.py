"""Train MaskablePPO on the native batch (gym.make_vec + SB3VecEnv), then play the policy against a built-in bot.

    python examples/train_sb3.py [--timesteps 2048] [--num-envs 8] [--seed 0] [--save runs/ppo-territory]
    python examples/train_sb3.py --timesteps 300000     # a longer run (about 200 steps/s on one CPU core)

The whole batch of games steps in one numba call; ``SB3VecEnv`` shows it to stable-baselines3 as a ``VecEnv``
(no subprocesses). The action mask rides in the observation and MaskablePPO asks the VecEnv for it.
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
from botarena.agents import BaseAgent, play_episode
from botarena.envs.common.sb3 import SB3VecEnv


class PolicyAgent(BaseAgent):
    """A trained SB3 policy as a botarena agent: ``act(obs)`` is the greedy masked action."""

    def __init__(self, model: MaskablePPO) -> None:
        super().__init__()
        self.model = model

    def act(self, obs: dict) -> int:
        action, _ = self.model.predict(obs, action_masks=obs["action_mask"].astype(bool), deterministic=True)
        return int(action)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=2048, help="environment steps to train for")
    parser.add_argument("--num-envs", type=int, default=8, help="games in the batch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--opponent", default="expander", help="the built-in bot the learner plays against")
    parser.add_argument("--eval-episodes", type=int, default=2, help="games against the opponent after training")
    parser.add_argument("--save", default=None, help="where to save the model (SB3 .zip), if anywhere")
    parser.add_argument("--torch-threads", type=int, default=1,
                        help="a network this small trains fastest on one thread; more compete with the games")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.torch_threads)

    # A 2-player 64x64 map; episodes are cut at 200 decisions so that they finish early in training.
    env_kwargs = {"preset": "duel", "opponents": args.opponent}
    envs = gym.make_vec("botarena/Territory-v2", num_envs=args.num_envs, vectorization_mode="vector_entry_point",
                        max_episode_steps=200, **env_kwargs)
    venv = VecMonitor(SB3VecEnv(envs))
    venv.seed(args.seed)
    model = MaskablePPO("MultiInputPolicy", venv, n_steps=128, batch_size=256, n_epochs=2, learning_rate=3e-4,
                        seed=args.seed, device="cpu", verbose=0)
    start = time.perf_counter()
    model.learn(total_timesteps=args.timesteps)
    elapsed = time.perf_counter() - start
    print(f"trained {model.num_timesteps} steps in {elapsed:.1f} s ({model.num_timesteps / elapsed:,.0f} steps/s)")
    if args.save:
        model.save(args.save)
        print(f"saved to {args.save}.zip (load with MaskablePPO.load)")

    # The trained policy in seat 0 of the PettingZoo game, the opponent bot in seat 1.
    agent = PolicyAgent(model)
    placements = []
    for seed in range(args.seed, args.seed + args.eval_episodes):
        result = play_episode("territory", {0: agent, 1: args.opponent}, seed=seed, preset="duel", max_cycles=200)
        placements.append(result.placements[0])
    print(f"against {args.opponent} on {len(placements)} seeds: placements {placements}, "
          f"won {np.mean(np.array(placements) == 1):.0%}")
    venv.close()


if __name__ == "__main__":
    main()
