"""A research loop with plain Gymnasium: make a game, reset it with a seed, let an agent act, log the returns.

    python examples/gym_loop.py [--game territory] [--episodes 3] [--seed 0] [--max-steps 300]

The agent is the game's registered random agent; put yours in its place: anything with ``act(obs) -> action``
(and ``reset(seed)`` if it draws random numbers). Every game works the same way: ``--game click_arena``,
``--game tick_duel``.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym

import botarena.envs  # registers the botarena/... ids
from botarena.agents import make_agent
from botarena.envs.common.validation import describe_space


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="territory", choices=list(botarena.envs.GAMES))
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=300, help="truncate each episode after this many steps")
    args = parser.parse_args(argv)

    env_id = botarena.envs.GAMES[args.game].env_id
    env = gym.make(env_id, max_episode_steps=args.max_steps)
    print(f"{env_id}\n  observation: {describe_space(env.observation_space)}\n"
          f"  action:      {describe_space(env.action_space)}")
    agent = make_agent(f"{args.game}/random")

    for episode in range(args.episodes):
        seed = args.seed + episode  # one seed per episode: the same seeds replay the same episodes
        agent.reset(seed)
        obs, info = env.reset(seed=seed)
        total, steps, start = 0.0, 0, time.perf_counter()
        terminated = truncated = False
        while not (terminated or truncated):
            obs, reward, terminated, truncated, info = env.step(agent.act(obs))
            total += float(reward)
            steps += 1
        print(f"episode {episode} (seed {seed}): return {total:+.3f} after {steps} steps "
              f"({'terminated' if terminated else 'truncated'}, {steps / (time.perf_counter() - start):,.0f} steps/s)")
    env.close()


if __name__ == "__main__":
    main()
