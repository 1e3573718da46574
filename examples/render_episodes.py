"""Play one episode of every game with any agent and save what it looked like.

    python examples/render_episodes.py [--game all] [--agent NAME] [--seed 0] [--frames 120] [--out runs/episodes]
    python examples/render_episodes.py --game tick_duel --agent tick_duel/tick_perfect

For each game: one seeded episode through ``botarena.agents.play_episode`` with ``--agent`` (default: the game's
random agent) in seat 0 against the game's built-in bots, a summary line, and ``<out>/<game>.png`` (the last
frame) and ``<out>/<game>.gif`` (the episode, ``--frames`` frames at most). Any registered agent works, built-in
bot or observation agent: ``botarena agents`` lists them. The quickest look at a game.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from PIL import Image

import botarena.envs
from botarena.agents import play_episode

# Who sits in the other seats, and the PettingZoo env's arguments: a 5-player Territory free-for-all with one
# random player among the bots, ClickArena's ship alone in the arena, a TickDuel against the reference bot.
TABLES = {
    "territory": ({1: "random", 2: "expander", 3: "aggressor", 4: "turtle"}, {"preset": "standard"}),
    "click_arena": ({}, {"num_players": 1}),
    "tick_duel": ({1: "nh_expert"}, {}),
}
# The PettingZoo envs' default episode lengths (max_cycles), to spread the GIF's frames over the episode.
DEFAULT_CYCLES = {"territory": 1000, "click_arena": 10800, "tick_duel": 500}


def run_game(game: str, agent: str, out: Path, seed: int, frames: int, max_cycles: int | None) -> None:
    others, env_kwargs = TABLES[game]
    if max_cycles is not None:
        env_kwargs = {**env_kwargs, "max_cycles": max_cycles}
    cycles = max_cycles or DEFAULT_CYCLES[game]
    start = time.perf_counter()
    result = play_episode(game, {0: agent, **others}, seed=seed, render="rgb_array",
                          frame_every=max(1, math.ceil(cycles / frames)), **env_kwargs)
    elapsed = time.perf_counter() - start

    out.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(frame) for frame in result.frames]
    images[-1].save(out / f"{game}.png")
    images[0].save(out / f"{game}.gif", save_all=True, append_images=images[1:], duration=80, loop=0)
    returns = ", ".join("-" if r is None else f"{r:+.2f}" for r in result.returns)
    places = f", placements {result.placements}" if result.placements else ""
    print(f"{game} (seed {seed}): {' vs '.join(result.agents)}; {result.length} cycles, returns [{returns}]{places}; "
          f"{elapsed:.1f} s incl. drawing -> {out / (game + '.png')}, {out / (game + '.gif')}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="all", choices=["all", *botarena.envs.GAMES])
    parser.add_argument("--agent", default=None, help="the agent in seat 0 (default: the game's random agent)")
    parser.add_argument("--out", type=Path, default=Path("runs/episodes"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frames", type=int, default=120, help="the most frames kept for a GIF")
    parser.add_argument("--max-cycles", type=int, default=None, help="cut every episode after this many cycles")
    args = parser.parse_args(argv)
    games = list(botarena.envs.GAMES) if args.game == "all" else [args.game]
    if args.agent is not None and len(games) > 1:
        parser.error("--agent belongs to one game: pass --game too")
    for game in games:
        run_game(game, args.agent or f"{game}/random", args.out, args.seed, args.frames, args.max_cycles)


if __name__ == "__main__":
    main()
