"""ClickArena-v0's expert labels, rewards, bad input and frames (shared contracts: tests/envs/test_conformance.py)."""

from __future__ import annotations

import numpy as np
import pytest

from botarena.envs.click_arena import ClickArenaEnv, ClickArenaVectorEnv, core, parallel_env, render


def test_expert_labels_describe_every_level_of_the_decision():
    e = ClickArenaVectorEnv(num_envs=2)
    e.reset(seed=0)
    modes = set()
    for _ in range(600):
        lab = e.expert_labels()
        assert lab["goal"].shape == (2, 2) and lab["aim"].shape == (2, 2) and lab["action"].shape == (2, 4)
        assert ((lab["action"] >= 0) & (lab["action"] <= 1)).all()
        modes.update(lab["mode"].tolist())
        e.step(lab["action"])
    assert 0 in modes  # it fought within ten seconds
    assert e.state.ship_kills[:, 0].sum() >= 1


def test_dense_reward_is_damage_plus_credits_minus_hull_and_sparse_only_credits():
    e = ClickArenaVectorEnv(num_envs=4)
    sp = ClickArenaVectorEnv(num_envs=4, reward="sparse")
    e.reset(seed=1)
    sp.reset(seed=1)
    total = np.zeros(4)
    total_sparse = np.zeros(4)
    for _ in range(900):
        a = e.expert_labels()["action"]
        sp.expert_labels()
        _, r, *_ = e.step(a)
        _, rs, *_ = sp.step(a)
        total += r
        total_sparse += rs
    s = e.state
    expected = (s.ship_damage[:, 0] + s.ship_credits[:, 0] - (core.SHIP_HULL - s.ship_hull[:, 0])) / 1000.0
    # hull repaired by boxes or the robot is not paid back, so the dense return is at most the expected value
    assert (total <= expected + 1e-6).all() and (total > 0).any()
    np.testing.assert_allclose(total_sparse, s.ship_credits[:, 0] / 1000.0)


def test_a_callable_reward_is_used():
    e = ClickArenaVectorEnv(num_envs=2, reward=lambda state, i, seat: 1.5)
    e.reset(seed=0)
    _, r, *_ = e.step(np.full((2, 4), 0.5, np.float32))
    assert (r == 1.5).all()


def test_death_terminates_with_the_death_penalty():
    e = ClickArenaEnv()
    e.reset(seed=0)
    s = e.batch.state
    s.ship_hull[0, 0] = 1.0
    s.ship_shield[0, 0] = 0.0
    a = 0
    s.al_alive[0, a] = 1
    s.al_kind[0, a] = core.KIND_FAST
    s.al_hp[0, a] = 100.0
    s.al_x[0, a], s.al_y[0, a] = s.ship_x[0, 0] + 100, s.ship_y[0, 0]
    s.al_cooldown[0, a] = 0.0
    _, r, term, trunc, _ = e.step([0.5, 0.5, 0.0, 0.0])
    assert term and not trunc and r < -9.0


@pytest.mark.parametrize("bad, word", [
    ([0.5, 0.5, 0.0], "shape"),
    ([0.5, np.nan, 0.0, 0.0], "NaN"),
    ([0.5, 1.5, 0.0, 0.0], "outside"),
    ([-0.1, 0.5, 0.0, 0.0], "outside"),
])
def test_bad_actions_raise_clear_errors(bad, word):
    e = ClickArenaEnv()
    e.reset(seed=0)
    with pytest.raises(ValueError, match=word):
        e.step(np.array(bad, np.float32))
    v = ClickArenaVectorEnv(num_envs=2)
    v.reset(seed=0)
    with pytest.raises(ValueError, match=word):
        v.step(np.array([bad, bad], np.float32))


@pytest.mark.parametrize("kwargs, word", [
    ({"difficulty": "nightmare"}, "difficulty"), ({"cursor": "warp"}, "cursor"),
    ({"obs_mode": "audio"}, "obs_mode"), ({"reward": "shaped"}, "reward"),
])
def test_bad_arguments_raise_value_errors_naming_the_argument(kwargs, word):
    with pytest.raises(ValueError, match=word):
        ClickArenaEnv(**kwargs)


def test_difficulty_presets_set_the_alien_count():
    counts = {}
    for d in core.DIFFICULTIES:
        e = ClickArenaVectorEnv(num_envs=1, difficulty=d)
        e.reset(seed=0)
        counts[d] = int(e.state.al_alive.sum())
    assert counts["easy"] < counts["standard"] < counts["hard"]


def test_pixels_are_drawn_from_the_same_state():
    e = ClickArenaEnv(obs_mode="pixels")
    obs, _ = e.reset(seed=0)
    px = obs["pixels"]
    assert px.shape == (3, 96, 96) and px.dtype == np.uint8
    # our ship is cyan at the centre of the picture
    assert tuple(px[:, 47, 47]) == (40, 230, 255)  # beside the cursor cross at the centre


def test_rgb_frames_show_the_ship_aliens_hud_and_minimap_in_their_colours():
    e = ClickArenaEnv(render_mode="rgb_array")
    e.reset(seed=0)
    s = e.batch.state
    s.al_alive[0] = 0
    s.al_respawn[0] = 1e9
    a = 0
    s.al_alive[0, a] = 1
    s.al_kind[0, a] = core.KIND_FAST
    s.al_hp[0, a] = core.ALIEN_HP[0]
    s.al_x[0, a], s.al_y[0, a] = s.ship_x[0, 0] + 200, s.ship_y[0, 0]
    s.ship_lock_kind[0, 0] = core.LOCK_ALIEN
    s.ship_lock_idx[0, 0] = a
    s.ship_cursor_x[0, 0], s.ship_cursor_y[0, 0] = 100.0, 500.0
    frame = e.render()
    assert frame.shape == (600, 800, 3) and frame.dtype == np.uint8
    cx, cy = 400, 300
    r, g, b = (int(v) for v in frame[cy + 2, cx])  # our ship: blue
    assert b > 150 and b > r + 60
    r, g, b = (int(v) for v in frame[cy, cx + 200 + 10])  # the fast alien: green
    assert g > r and g > b
    ring = frame[cy, cx + 200 + int(core.ALIEN_RADIUS[0]) + 8]  # lock ring: red
    assert ring[0] > 200 and ring[1] < 80
    assert tuple(frame[19, 20]) == tuple(render.HULL_GREEN)  # full hull bar
    assert tuple(frame[34, 20]) == tuple(render.SHIELD_BLUE)  # full shield bar
    assert tuple(frame[510, 103]) == (255, 255, 255)  # inside the cursor arrow
    mini = frame[600 - 160:590, 800 - 160:790]
    assert (mini[..., 0] > 200).any()  # the alien dot on the minimap


def test_pettingzoo_bot_seats_play_out_and_report_every_return():
    from pettingzoo.test import parallel_api_test

    parallel_api_test(parallel_env(num_players=2, bots={1: "expert"}), num_cycles=100)
    p = parallel_env(num_players=3, bots={1: "expert", 2: "aimbot"}, max_cycles=900)
    p.reset(seed=0)
    assert p.possible_agents == ["player_0"] and p.agent_index == {"player_0": 0}
    while p.agents:
        p.step({"player_0": np.array([0.5, 0.5, 0.0, 0.0], np.float32)})
    p.play_out()
    ret = p.episode_returns()
    assert ret.dtype == np.float64 and ret.shape == (3,)
    assert p.cycles == 900 or not p.state.ship_alive[0, 1:3].any()
    assert ret[1] > 0 and ret[2] > 0  # the bots farmed
    solo = parallel_env(num_players=1, bots={0: "expert"}, max_cycles=600)
    solo.reset(seed=0)
    assert solo.agents == []
    solo.play_out()
    assert solo.cycles == 600 and solo.episode_returns()[0] > 0
    with pytest.raises(ValueError, match="bots"):
        parallel_env(num_players=2, bots={1: "cheater"})
