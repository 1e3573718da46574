"""Territory-v2's observation and actions through the envs (``rules=2``): the extra channels and attack slots on a
hand-built state, the recall actions, the spaces, and Gymnasium's / PettingZoo's checkers."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from territory_helpers import build_state

from botarena.envs.territory import core, observe
from botarena.envs.territory.env import encode_actions
from botarena.envs.territory.multiagent import parallel_env

V2 = core.RULES_V2


def test_v2_channels_and_attack_slots_show_who_owns_what_and_who_attacks_where():
    rows = ["0000222", "0000222", "1100222", "1100..."]
    s = build_state(rows, num_players=3, troops=[10_000, 5_000, 2_000], rules=V2)
    s.att_target[0, 1, 0], s.att_troops[0, 1, 0] = 0, 3_000  # player 1 attacks us
    s.att_target[0, 0, 0], s.att_troops[0, 0, 0] = 2, 1_000  # we attack player 2
    h, w = s.owner.shape[1:]
    map_out = np.zeros((1, observe.OBS_CHANNELS_V2, h, w), np.uint8)
    glob = np.zeros((1, observe.GLOBAL_FEATURES_V2), np.float32)
    observe.write_observations(s, np.zeros(1, np.int64), map_out, glob, 4000)
    seat, density, ours, theirs = (map_out[0, c] for c in range(observe.CHANNEL_SEAT, observe.OBS_CHANNELS_V2))
    assert (seat[0, 0], seat[2, 0], seat[0, 4], seat[3, 4]) == (32, 64, 96, 0)
    d2, d0 = 1000 * 2_000 // s.tiles[0, 2], 1000 * 10_000 // s.tiles[0, 0]
    assert density[0, 4] == 1 + 254 * d2 // (d2 + d0) and density[0, 2] == 0
    assert ours[0, 4] == 1 + 254 * 1_000 // 3_000 and ours[2, 2] == 0  # player 1's tile: not our target
    assert theirs[1, 0] == 1 + 254 * 3_000 // 13_000 and theirs[0, 3] == 0  # beside player 2 only
    slot0 = glob[0, observe.GLOBAL_SLOTS:observe.GLOBAL_SLOTS + observe.SLOT_FEATURES]
    np.testing.assert_allclose(slot0, [1.0, 1_000 / 11_000, 0.125, 0.0], rtol=1e-6)
    assert not glob[0, observe.GLOBAL_SLOTS + observe.SLOT_FEATURES:].any()  # empty slots


def test_recall_actions_decode_under_v2_only():
    rows = np.zeros((2, 3), np.int64)
    encode_actions(np.array([41, 44]), "direction", 64, rows, V2)
    assert rows.tolist() == [[core.MODE_RETREAT, 0, 1], [core.MODE_RETREAT, 3, 4]]
    encode_actions(np.array([[64, 2], [7, 2]]), "cell", 64, rows, V2)
    assert rows.tolist() == [[core.MODE_RETREAT, 1, 2], [core.MODE_CELL, 7, 2]]
    encode_actions(np.array([41, 44]), "direction", 64, rows, 1)
    assert rows.tolist() == [[core.MODE_DIRECTION, core.WAIT, 1], [core.MODE_DIRECTION, core.WAIT, 4]]


def test_a_v2_env_recalls_its_attack_and_passes_the_checkers():
    from gymnasium.utils.env_checker import check_env
    from pettingzoo.test import parallel_api_test

    env = gym.make("botarena/Territory-v2", preset="duel", opponents="turtle")
    assert env.observation_space["map"].shape == (observe.OBS_CHANNELS_V2, 64, 64)
    assert env.observation_space["global"].shape == (observe.GLOBAL_FEATURES_V2,)
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=3)
    launch = next(a for a in range(40) if obs["action_mask"][a])
    obs, *_ = env.step(launch)
    state = env.unwrapped.batch.state
    slot = int(np.flatnonzero(state.att_target[0, 0] != core.NO_ATTACK)[0])
    assert obs["action_mask"][41 + slot] and not obs["global"][observe.GLOBAL_SLOTS + 4 * slot + 3]
    obs, *_ = env.step(41 + slot)
    assert state.att_retreat[0, 0, slot] >= 0 and obs["global"][observe.GLOBAL_SLOTS + 4 * slot + 3] == 1.0
    assert not obs["action_mask"][41 + slot]  # nothing left to recall there
    env.close()
    parallel_api_test(parallel_env(preset="duel", rules=2), num_cycles=20)


@pytest.mark.parametrize("rules", [0, 3, "2", True])
def test_rules_must_be_a_known_rule_set(rules):
    with pytest.raises(ValueError, match="rules must be one of"):
        gym.make("botarena/Territory-v2", preset="duel", rules=rules)


def test_territory_v2_is_the_default_and_v1_stays_registered_as_it_was():
    from botarena.envs import GAMES, LEGACY_ENV_IDS
    from botarena.envs.territory import TerritoryVectorEnv, bots

    assert GAMES["territory"].env_id == "botarena/Territory-v2" and "botarena/Territory-v1" in LEGACY_ENV_IDS
    v2, v1 = gym.make("botarena/Territory-v2").unwrapped, gym.make("botarena/Territory-v1").unwrapped
    for env, rules, reward, channels, features in ((v2, V2, "share", 9, 32), (v1, 1, "shaped", 5, 16)):
        batch = env.batch
        assert (batch.rules, batch.reward_mode) == (rules, reward)
        assert env.observation_space["map"].shape == (channels, 128, 128)
        assert env.observation_space["global"].shape == (features,)
        assert batch.policies[0].tolist() == [bots.BOT_NONE, *bots.mixed_cycle(rules)]
        env.reset(seed=0)
        assert (batch.state.rules == rules).all()
    assert TerritoryVectorEnv().rules == V2 and parallel_env().rules == V2  # the classes play the newest version
    assert v1.batch.policies[0, 1:].tolist() == [bots.BOT_EXPANDER, bots.BOT_AGGRESSOR, bots.BOT_TURTLE,
                                                 bots.BOT_RANDOM]


def test_the_nation_bot_strikes_back_first_and_keeps_its_reserve():
    from botarena.envs.territory import bots

    rows = ["0000111", "0000111", "0000111", "......."]
    s = build_state(rows, num_players=2, troops=[30_000, 50_000], rules=V2)
    s.tick[0] = core.SPAWN_IMMUNITY_TICKS
    cap = core.max_troops(s.tiles[0, 0], s.cities[0, 0], s.tile_scale[0])
    assert 30_000 < bots.NATION_TRIGGER_FILL * cap  # below its trigger: it would wait...
    actions = np.zeros((1, 2, 3), np.int64)
    policies = np.array([[bots.BOT_NATION, bots.BOT_NONE]], np.int8)
    bots.bot_actions(s, policies, actions)
    assert actions[0, 0, 1] == core.WAIT
    s.att_target[0, 1, 0], s.att_troops[0, 1, 0] = 0, 5_000  # ...until player 1 attacks it
    bots.bot_actions(s, policies, actions)
    mode, cell, k = actions[0, 0]
    assert mode == core.MODE_CELL and s.owner[0].flat[cell] == 1
    assert 30_000 * (100 - core.INTENSITY_PERCENT[k]) // 100 >= bots.NATION_KEEP_FILL * cap
    s.att_target[0, 1, 0] = core.NO_ATTACK
    s.owner[0, 3, :7] = 0  # no neutral land left beside it
    core.rebuild_derived(s, 0)
    cap = core.max_troops(s.tiles[0, 0], s.cities[0, 0], s.tile_scale[0])
    s.troops[0, 0] = int(0.9 * cap)  # full enough to attack player 1
    bots.bot_actions(s, policies, actions)
    mode, cell, k = actions[0, 0]
    home = s.troops[0, 0] * (100 - core.INTENSITY_PERCENT[k]) // 100
    assert mode == core.MODE_CELL and s.owner[0].flat[cell] == 1 and home >= bots.NATION_RESERVE_FILL * cap
