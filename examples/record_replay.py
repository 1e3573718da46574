"""Record an episode, save it, load it back and replay it, checking that it re-simulates exactly.

    python examples/record_replay.py [--game tick_duel] [--seed 0] [--out runs/recordings]
    botarena replay runs/recordings/tick_duel.npz --render      # watch the recording in a window

A recording holds the seed, the env's arguments and every action: the games are deterministic, so replaying
re-simulates the episode and checks each reward against the recorded one (``ReplayDivergence`` if a game's
dynamics changed since). Human play (``botarena play``) records demonstrations in the same format.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym

import botarena.envs
from botarena.agents import make_agent
from botarena.envs.common.recording import EpisodeRecorder, EpisodeRecording, replay


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="tick_duel", choices=list(botarena.envs.GAMES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("runs/recordings"))
    args = parser.parse_args(argv)

    env_id = botarena.envs.GAMES[args.game].env_id
    env_kwargs = {"max_episode_steps": args.max_steps}  # everything gym.make needs to rebuild the same env
    env = gym.make(env_id, **env_kwargs)
    agent = make_agent(f"{args.game}/random")
    agent.reset(args.seed)

    # Record: the recorder keeps each action and reward (and, if asked, small info values).
    recorder = EpisodeRecorder(env_id=env_id, env_kwargs=env_kwargs, seed=args.seed)
    obs, _ = env.reset(seed=args.seed)
    terminated = truncated = False
    while not (terminated or truncated):
        action = agent.act(obs)
        obs, reward, terminated, truncated, info = env.step(action)
        recorder.record(action, reward, info)
    env.close()
    recording = recorder.finish(terminated=terminated, truncated=truncated, extra={"agent": agent.name})
    path = recording.save(args.out / f"{args.game}.npz")
    print(f"recorded {recording.length} steps of {env_id} (seed {args.seed}), return {recording.total_reward():+.3f} "
          f"-> {path} ({path.stat().st_size:,} bytes)")

    # Replay: load the file and re-simulate; a reward that differs raises ReplayDivergence naming the step.
    loaded = EpisodeRecording.load(path)
    total = sum(float(reward) for _, reward, *_ in replay(loaded))
    print(f"replayed {loaded.length} steps: return {total:+.3f}, every reward equal to the recording's")


if __name__ == "__main__":
    main()
