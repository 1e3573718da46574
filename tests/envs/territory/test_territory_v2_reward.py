"""``reward="share"`` under Territory-v2's rules pays for winning (issue #13's reward test): with each scripted bot in
the learner's seat on the same 24 seeds, the mean undiscounted return ranks the bots in the order of their mean
placement, and the mean return discounted at 0.99 puts the best-placed bot at least 0.05 above the worst."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from botarena.envs.territory import bots, core
from botarena.envs.territory.env import TerritoryVectorEnv

SEEDS = 24
GAMMA = 0.99


def bot_in_learner_seat(bot: int, preset: str, opponents: str) -> tuple[float, float, float]:
    """(mean undiscounted return, mean discounted return, mean placement) of ``bot`` playing seat 0 through the
    env's cell actions, one episode per seed."""
    env = TerritoryVectorEnv(SEEDS, preset=preset, opponents=opponents, action_mode="cell", reward="share",
                             rules=core.RULES_V2)
    env.reset(seed=1000)
    hw = env.height * env.width
    policies = env.policies.copy()
    policies[:, 0] = bot
    core_actions = np.zeros_like(env.core_actions)
    wait = np.stack([np.full(SEEDS, hw), np.zeros(SEEDS, np.int64)], axis=1)
    undiscounted, discounted, weight = np.zeros(SEEDS), np.zeros(SEEDS), np.ones(SEEDS)
    place, done = np.zeros(SEEDS), np.zeros(SEEDS, bool)
    while not done.all():
        bots.bot_actions(env.state, policies, core_actions)
        mine = core_actions[:, 0]
        actions = np.where((mine[:, 0] == core.MODE_CELL)[:, None], mine[:, 1:], wait)
        _, reward, terminated, truncated, info = env.step(actions)
        live = ~done
        undiscounted[live] += reward[live]
        discounted[live] += weight[live] * reward[live]
        weight[live] *= GAMMA
        ended = (terminated | truncated) & live
        if ended.any():
            place[ended] = info["final_info"]["placement"][ended]
        done |= terminated | truncated
    env.close()
    return undiscounted.mean(), discounted.mean(), place.mean()


@pytest.mark.parametrize("preset, opponents", [("standard", "mixed"), ("duel", "expander")])
def test_the_share_reward_ranks_the_bots_by_their_placement(preset, opponents):
    results = {name: bot_in_learner_seat(bot, preset, opponents) for bot, name in enumerate(bots.BOT_NAMES)}
    for (a, (ret_a, _, place_a)), (b, (ret_b, _, place_b)) in itertools.combinations(results.items(), 2):
        if place_a != place_b:  # tied placements may come in either order
            assert (ret_a > ret_b) == (place_a < place_b), (a, b, results)
    best = min(place for _, _, place in results.values())
    worst = max(place for _, _, place in results.values())
    best_discounted = min(d for _, d, place in results.values() if place == best)
    worst_discounted = max(d for _, d, place in results.values() if place == worst)
    assert best_discounted - worst_discounted >= 0.05, results
