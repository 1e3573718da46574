"""PettingZoo with the game's built-in bots in seats: your agent plays seat 0, the bots the others.

    python examples/pettingzoo_bots.py [--game territory] [--seed 0]

Built-in bots play inside the game (they read the full state, as a game's own AI does): seat them with the
``bots=`` argument and they are not PettingZoo agents. Step the agents until they are gone, let the bots finish
with ``play_out()``, then read every seat's result. ``botarena.agents.play_episode`` does all of that in one call.
"""

from __future__ import annotations

import argparse
import importlib

import botarena.envs
from botarena.agents import make_agent, play_episode

# A table per game: the PettingZoo env's arguments and the bot in each other seat.
TABLES = {
    "territory": ({"num_players": 4, "map_size": 64, "max_cycles": 300},
                  {1: "expander", 2: "aggressor", 3: "turtle"}),
    "click_arena": ({"num_players": 3, "max_cycles": 3600}, {1: "expert", 2: "aimbot"}),
    "tick_duel": ({"builds": "max"}, {1: "nh_expert"}),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="territory", choices=list(TABLES))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    env_kwargs, bots = TABLES[args.game]

    # The PettingZoo loop, written out.
    game = importlib.import_module(botarena.envs.GAMES[args.game].module)
    env = game.parallel_env(bots=bots, **env_kwargs)
    agent = make_agent(f"{args.game}/random")  # replace with your own agent: act(obs) -> action
    agent.reset(args.seed)
    observations, infos = env.reset(seed=args.seed)
    print(f"{args.game}: agents {env.agents}, bots {bots}")
    rewards_of = dict.fromkeys(env.agents, 0.0)
    while env.agents:
        actions = {name: agent.act(observations[name]) for name in env.agents}
        observations, rewards, terminations, truncations, infos = env.step(actions)
        for name, reward in rewards.items():
            rewards_of[name] += reward
    env.play_out()  # the bots finish the game after the last agent has left
    print(f"  the PettingZoo loop: {env.cycles} cycles, agent returns {rewards_of}")
    if hasattr(env, "final_placements"):
        print(f"  placements by seat (1 = best): {env.final_placements().tolist()}")
    env.close()

    # The same table in one call: built-in bots are seated inside the game, other agents act through act().
    # Agents are named "<game>/<agent>" or, short, by the agent alone ("expander" is "territory/expander"). Each
    # agent is reset with a seed drawn from (seed, seat), so a random agent draws other numbers than above.
    result = play_episode(args.game, {0: "random", **bots}, seed=args.seed, **env_kwargs)
    returns = [None if r is None else round(r, 3) for r in result.returns]
    print(f"  play_episode: {result.length} cycles, returns by seat {returns}, placements {result.placements}")


if __name__ == "__main__":
    main()
