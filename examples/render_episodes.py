"""Play one episode of every registered game and save what it looked like.

For each game: one seeded episode through ``gym.make`` (the game's random agent plays the learner's seat
against the game's default opponents), a summary line, and frames saved as ``runs/episodes/<game>.png``
(the last frame) and ``runs/episodes/<game>.gif`` (the episode). The quickest look at a game.

    python examples/render_episodes.py [--out runs/episodes] [--seed 0] [--max-steps 2000]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import botarena.envs
from botarena.agents.common.registry import list_agents, make_agent


def pick_action(env: gym.Env, agent, obs) -> object:
    if agent is not None:
        return agent.act(obs)
    if isinstance(obs, dict) and "action_mask" in obs and hasattr(env.action_space, "n"):
        valid = np.flatnonzero(obs["action_mask"])
        return int(env.np_random.choice(valid)) if len(valid) else 0
    return env.action_space.sample()


def run_game(name: str, out: Path, seed: int, max_steps: int, frame_every: int) -> None:
    spec = botarena.envs.GAMES[name]
    env = gym.make(spec.env_id, render_mode="rgb_array")
    randoms = [s for s in list_agents(name) if s.kind == "random"]
    agent = make_agent(randoms[0].name) if randoms else None
    if agent is not None:
        agent.reset(seed)
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    frames, total, start = [env.render()], 0.0, time.perf_counter()
    steps = 0
    for steps in range(1, max_steps + 1):
        obs, reward, terminated, truncated, info = env.step(pick_action(env, agent, obs))
        total += float(reward)
        if steps % frame_every == 0 or terminated or truncated:
            frames.append(env.render())
        if terminated or truncated:
            break
    elapsed = time.perf_counter() - start
    env.close()

    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frames[-1]).save(out / f"{name}.png")
    images = [Image.fromarray(f) for f in frames]
    images[0].save(out / f"{name}.gif", save_all=True, append_images=images[1:], duration=80, loop=0)
    player = agent.name if agent is not None else "random valid actions"
    print(f"{spec.env_id}: {steps} steps played by {player} (seed {seed}), return {total:+.3f}, "
          f"{'ended' if terminated else 'truncated' if truncated else 'stopped'}, {elapsed:.1f} s incl. rendering "
          f"-> {out / (name + '.png')}, {out / (name + '.gif')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/episodes"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--frame-every", type=int, default=10, help="keep one frame in this many for the GIF")
    args = parser.parse_args()
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    if not botarena.envs.GAMES:
        print("No games are registered yet: nothing to play.")
        return
    for name in botarena.envs.GAMES:
        run_game(name, args.out, args.seed, args.max_steps, args.frame_every)


if __name__ == "__main__":
    main()
