"""Every registered agent plays its game through one call, ``play_episode``; misuse gets an error saying what to do."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import botarena.envs
from botarena.agents import BaseAgent, list_agents, make_agent, play_episode
from botarena.agents.common.episode import bot_seats, play_seated

# Short episodes: a small map, a few seconds of ClickArena, a few TickDuel ticks.
SHORT = {
    "territory": {"preset": "duel", "max_cycles": 25},
    "click_arena": {"num_players": 1, "max_cycles": 120},
    "tick_duel": {"max_cycles": 40},
}
SEATS = {"territory": 2, "click_arena": 1, "tick_duel": 2}


def _parallel_env_class(game: str) -> type:
    from importlib import import_module

    return type(import_module(botarena.envs.GAMES[game].module).parallel_env(**SHORT[game]))


def _table(name: str) -> dict[int, str]:
    """``name`` in seat 0, the game's random agent in every other seat."""
    game = name.split("/")[0]
    return {0: name, **{seat: f"{game}/random" for seat in range(1, SEATS[game])}}


@pytest.mark.parametrize("name", [spec.name for spec in list_agents()])
def test_every_registered_agent_plays_a_full_short_episode_reproducibly(name):
    game = name.split("/")[0]
    result = play_episode(game, _table(name), seed=3, **SHORT[game])
    assert result.agents[0] == name and len(result.returns) == SEATS[game]
    # Every seat has a return; a bot's only where the game's env reports bots' rewards (episode_returns()).
    reports_bots = hasattr(_parallel_env_class(game), "episode_returns")
    for seat, ret in enumerate(result.returns):
        is_bot = bool(getattr(make_agent(_table(name)[seat]), "native_bot", None))
        assert (ret is None and is_bot and not reports_bots) or math.isfinite(ret), (seat, ret)
    assert 1 <= result.length <= SHORT[game]["max_cycles"]
    if result.placements is not None:
        assert min(result.placements) == 1 and len(result.placements) == SEATS[game]
    again = play_episode(game, _table(name), seed=3, **SHORT[game])
    assert again.returns == result.returns and again.placements == result.placements


@pytest.mark.parametrize("game", list(botarena.envs.GAMES))
def test_each_games_random_agent_acts_validly_on_gymnasium_observations(game):
    env = gym.make(botarena.envs.GAMES[game].env_id)
    agent = make_agent(f"{game}/random")
    agent.reset(seed=0)
    obs, _ = env.reset(seed=0)
    for _ in range(30):
        action = agent.act(obs)
        assert env.action_space.contains(action), action
        if "action_mask" in obs:
            assert obs["action_mask"][action] == 1
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            obs, _ = env.reset()
    env.close()


@pytest.mark.parametrize("game", list(botarena.envs.GAMES))
def test_random_agents_act_in_every_pettingzoo_seat(game):
    # No bots= here: every seat, the random ones included, is driven through act and checked against its space.
    from importlib import import_module

    env = import_module(botarena.envs.GAMES[game].module).parallel_env(**SHORT[game])
    agents = {seat: make_agent(f"{game}/random") for seat in range(env.num_players)}

    def checked(agent, seat, obs, space):
        action = agent.act(obs)
        assert space.contains(action), (seat, action)
        return action

    result = play_seated(env, agents, seed=1, act=checked)
    assert result.length == SHORT[game]["max_cycles"] or result.length >= 1


def test_a_built_in_bot_called_like_an_observation_agent_says_how_to_play_it():
    bot = make_agent("territory/expander")
    with pytest.raises(TypeError) as err:
        bot.act({"action_mask": np.ones(45, np.int8)})
    message = str(err.value)
    assert "play_episode('territory', {0: 'territory/expander'" in message
    assert "botarena.envs.territory.parallel_env(bots={0: 'expander'})" in message
    assert "nh_expert:fast" in str(pytest.raises(TypeError, make_agent("tick_duel/nh_expert-fast").act, {}).value)


def test_bots_are_seated_inside_the_game_and_observation_agents_act():
    agents = {0: make_agent("territory/random"), 1: make_agent("territory/aggressor")}
    assert bot_seats(agents) == {1: "aggressor"}
    assert bot_seats({0: make_agent("tick_duel/random")}) == {0: "random"}


class Wait(BaseAgent):
    """Always WAIT: a user's own agent object."""

    def act(self, obs):
        from botarena.envs.territory.env import WAIT_ACTION

        return WAIT_ACTION


def test_agent_objects_short_names_and_lists_of_seats_play_too():
    by_name = play_episode("territory", {0: Wait(), 1: "expander"}, seed=0, **SHORT["territory"])
    as_list = play_episode("territory", [Wait(), "territory/expander"], seed=0, **SHORT["territory"])
    assert by_name.agents == ["agent", "territory/expander"] and by_name.returns == as_list.returns


@pytest.mark.parametrize("game", list(botarena.envs.GAMES))
def test_frames_come_back_without_changing_the_episode(game):
    seats = {seat: f"{game}/random" for seat in range(SEATS[game])}
    plain = play_episode(game, seats, seed=2, **SHORT[game])
    drawn = play_episode(game, seats, seed=2, render="rgb_array", frame_every=10, **SHORT[game])
    assert drawn.returns == plain.returns and drawn.length == plain.length
    assert len(drawn.frames) == plain.length // 10 + 1 + (plain.length % 10 != 0)
    assert drawn.frames[0].ndim == 3 and drawn.frames[0].dtype == np.uint8


def test_misuse_is_explained():
    with pytest.raises(ValueError, match=r"seats \[0, 1\].*num_players="):
        play_episode("click_arena", {0: "click_arena/expert"})
    with pytest.raises(KeyError, match="territory's agents: territory/aggressor"):
        play_episode("territory", {0: "territory/nobody", 1: "territory/random"})
    with pytest.raises(ValueError, match="is a tick_duel agent; it cannot play territory"):
        play_episode("territory", {0: "tick_duel/random", 1: "territory/random"})
    with pytest.raises(ValueError, match="game must be one of"):
        play_episode("chess", {0: "random"})
    with pytest.raises(ValueError, match="render must be None or one of"):
        play_episode("tick_duel", {0: "random", 1: "random"}, render="video")
    with pytest.raises(ValueError, match="put bots in `seats`"):
        play_episode("tick_duel", {0: "random"}, bots={1: "nh_expert"})


def test_a_human_window_shows_the_episode_headless_without_changing_it():
    seats = {0: "tick_duel/random", 1: "tick_duel/nh_expert"}
    shown = play_episode("tick_duel", seats, seed=2, render="human", **SHORT["tick_duel"])
    plain = play_episode("tick_duel", seats, seed=2, **SHORT["tick_duel"])
    assert shown.frames == [] and shown.returns == plain.returns
