"""Gymnasium and PettingZoo conformance of Territory-v1, its arguments, rewards and frames."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from territory_helpers import build_state

from botarena.envs.territory import TerritoryEnv, TerritoryVectorEnv, core, env, mapgen, parallel_env, render

ENV_ID = "botarena/Territory-v1"


@pytest.fixture(scope="module")
def registered():
    # The package registers the id on import; register it here too so this file runs on its own.
    import botarena.envs  # noqa: F401

    if ENV_ID not in gym.registry:
        gym.register(ENV_ID, entry_point="botarena.envs.territory.env:TerritoryEnv",
                     vector_entry_point="botarena.envs.territory.env:TerritoryVectorEnv", max_episode_steps=1000)
    return ENV_ID


@pytest.mark.parametrize("action_mode", ["direction", "cell"])
def test_gymnasium_check_env_passes(action_mode):
    check_env(TerritoryEnv(preset="duel", action_mode=action_mode), skip_render_check=True)


def test_make_and_make_vec_use_the_native_batch(registered):
    single = gym.make(registered, preset="duel")
    obs, _ = single.reset(seed=0)
    assert obs["map"].shape == (5, 64, 64)
    vec = gym.make_vec(registered, num_envs=3, preset="duel", vectorization_mode="vector_entry_point")
    assert isinstance(vec.unwrapped, TerritoryVectorEnv)
    obs, _ = vec.reset(seed=0)
    assert obs["map"].shape == (3, 5, 64, 64) and obs["action_mask"].shape == (3, 45)
    obs, rewards, terminated, truncated, _ = vec.step(np.full(3, 40))
    assert rewards.shape == (3,) and rewards.dtype == np.float64


def test_env_i_of_the_batch_equals_a_single_env_seeded_with_seed_plus_i():
    vec = TerritoryVectorEnv(num_envs=3, preset="duel")
    single = TerritoryEnv(preset="duel")
    vobs, _ = vec.reset(seed=5)
    sobs, _ = single.reset(seed=7)
    for _ in range(25):
        for key in sobs:
            np.testing.assert_array_equal(vobs[key][2], sobs[key], err_msg=key)
        vobs, *_ = vec.step(np.array([40, 40, 12]))
        sobs, *_ = single.step(12)


def test_same_seed_gives_the_same_episode():
    def run(seed):
        e = TerritoryEnv(preset="duel")
        obs, _ = e.reset(seed=seed)
        out = []
        for t in range(40):
            mask = obs["action_mask"]
            a = int(np.flatnonzero(mask)[t % int(mask.sum())])
            obs, r, *_ = e.step(a)
            out.append((obs["map"].tobytes(), r))
        return out

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_observation_mask_equals_action_masks_and_wait_is_always_valid():
    e = TerritoryEnv(preset="duel")
    obs, _ = e.reset(seed=1)
    for _ in range(10):
        np.testing.assert_array_equal(obs["action_mask"].astype(bool), e.action_masks())
        assert obs["action_mask"][40] == 1 and obs["action_mask"][41:].sum() == 0
        obs, *_ = e.step(int(np.flatnonzero(obs["action_mask"])[0]))


def test_shaped_reward_telescopes_to_the_land_share_gained():
    e = TerritoryEnv(preset="duel", gamma=1.0)
    obs, info = e.reset(seed=2)
    start, total = info["land_share"], 0.0
    for _ in range(30):
        obs, r, terminated, truncated, info = e.step(int(np.flatnonzero(obs["action_mask"])[0]))
        total += r
        assert not terminated
    assert total == pytest.approx(info["land_share"] - start, abs=1e-12)


def test_sparse_reward_pays_nothing_for_surviving_or_acting():
    e = TerritoryEnv(preset="duel", reward="sparse")
    obs, _ = e.reset(seed=2)
    for _ in range(30):
        obs, r, terminated, *_ = e.step(int(np.flatnonzero(obs["action_mask"])[-1]))
        assert r == 0.0 and not terminated


def test_eliminated_learner_terminates_with_last_place_reward():
    vec = TerritoryVectorEnv(num_envs=1, preset="duel", reward="sparse", autoreset_mode="Disabled")
    vec.reset(seed=0)
    s = vec.state
    # Hand the learner's land to the opponent but one tile, then let the opponent's attack take it.
    keep = np.argwhere(s.owner[0] == 0)[0]
    s.owner[0][s.owner[0] == 0] = 1
    s.owner[0, keep[0], keep[1]] = 0
    core.rebuild_derived(s, 0)
    s.troops[0] = (10, 5_000_000)
    cell = keep[0] * s.width + keep[1]
    vec.policies[:] = -1
    actions = np.zeros((1, 2, 3), np.int64)
    actions[0, 1] = (core.MODE_CELL, cell, 4)
    core.step_envs(s, actions, 1)
    assert s.alive[0, 0] == 0
    s.done[0] = 0  # let the env's step see the elimination itself
    s.alive[0, 0] = 0
    _, r, terminated, _, info = vec.step(np.array([40]))
    assert terminated[0] and info["placement"][0] == 2 and r[0] == -1.0


@pytest.mark.parametrize("kwargs,word", [
    ({"preset": "huge"}, "preset"),
    ({"num_players": 9}, "num_players"),
    ({"num_players": 1}, "num_players"),
    ({"map_size": 8}, "map_size"),
    ({"map_size": (64, "a")}, "map_size"),
    ({"action_mode": "click"}, "action_mode"),
    ({"reward": "dense"}, "reward"),
    ({"ticks_per_step": 0}, "ticks_per_step"),
    ({"opponents": "cheater"}, "opponents"),
    ({"opponents": ["random"] * 3, "preset": "duel"}, "opponents"),
    ({"gamma": 1.5}, "gamma"),
    ({"learner_seat": 5, "preset": "duel"}, "learner_seat"),
    ({"num_threads": 0}, "num_threads"),
    ({"num_threads": 2.0}, "num_threads"),
])
def test_bad_arguments_raise_value_errors_naming_the_argument(kwargs, word):
    with pytest.raises(ValueError, match=word):
        TerritoryVectorEnv(num_envs=1, **kwargs)


def test_out_of_range_actions_raise_instead_of_reaching_the_kernels():
    e = TerritoryEnv(preset="duel")
    e.reset(seed=0)
    with pytest.raises(ValueError):
        e.step(45)
    with pytest.raises(ValueError):
        e.step(-1)


def test_presets_set_map_size_and_players():
    for preset, (size, players) in {"duel": (64, 2), "standard": (128, 5)}.items():
        v = TerritoryVectorEnv(num_envs=1, preset=preset)
        assert (v.height, v.width, v.num_players) == (size, size, players)


def test_png_maps_load_by_colour(tmp_path):
    from PIL import Image

    rgb = np.zeros((20, 24, 3), np.uint8)
    rgb[:] = (40, 90, 160)          # water
    rgb[2:18, 2:22] = (120, 200, 90)  # plains
    rgb[5:8, 5:8] = (139, 115, 85)    # hills
    rgb[10, 10] = (255, 0, 0)         # a city
    rgb[12:14, 15:17] = (128, 128, 128)  # mountain
    path = tmp_path / "island.png"
    Image.fromarray(rgb).save(path)
    terrain = mapgen.load_png_map(str(path))
    assert terrain[0, 0] == core.WATER and terrain[3, 3] == core.PLAINS and terrain[6, 6] == core.HILLS
    assert terrain[10, 10] == core.CITY and terrain[12, 15] == core.MOUNTAIN
    e = TerritoryEnv(map_png=str(path), num_players=2)
    obs, _ = e.reset(seed=0)
    np.testing.assert_array_equal(e.batch.state.terrain[0], terrain)
    assert obs["map"].shape == (5, 20, 24)


def test_rgb_frames_show_player_colours_borders_cities_and_water():
    s = build_state(["0000.~", "0000.~", "0000.1", "000c.1"], troops=[100, 100])
    s.conq_tick[0] = -1
    s.tick[0] = 100
    px = 4
    frame = render.render_rgb(s, 0, tile_px=px, panel=False)
    assert frame.shape == (12 * px, 12 * px, 3) and frame.dtype == np.uint8

    def colour(y, x):
        return frame[y * px + px // 2, x * px + px // 2].astype(int)

    np.testing.assert_array_equal(colour(1, 1), render.PLAYER_COLOURS[0].astype(int))  # interior tile
    assert colour(0, 3).sum() < colour(1, 1).sum()  # a border tile is darker
    np.testing.assert_array_equal(colour(2, 5), (render.PLAYER_COLOURS[1] * 0.62).astype(int))  # border of 1
    assert (colour(3, 3) == 250).all()  # the city marker is white
    np.testing.assert_array_equal(colour(0, 4), render.TERRAIN_COLOURS[core.PLAINS].astype(int))
    assert colour(0, 5)[2] > colour(0, 5)[0]  # water is blue
    with_panel = render.render_rgb(s, 0, tile_px=px)
    assert with_panel.shape == (12 * px, 12 * px + render.PANEL_WIDTH, 3)


def test_side_panel_lists_every_player_even_beside_a_small_map():
    e = TerritoryVectorEnv(num_envs=1, map_size=32, num_players=5, render_mode="rgb_array")
    e.reset(seed=0)
    frame = e.render()[0]
    panel = frame[:, -render.PANEL_WIDTH:]
    assert frame.shape[0] == 32 * 6  # the env draws 6 px tiles here: the panel is as short as it gets
    for p in range(5):
        colour = render.PLAYER_COLOURS[p].astype(np.uint8)
        assert (panel == colour).all(axis=2).any(), f"player {p} has no row in the panel"


def test_render_modes(registered):
    e = TerritoryEnv(preset="duel", render_mode="rgb_array")
    e.reset(seed=0)
    frame = e.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    v = TerritoryVectorEnv(num_envs=2, preset="duel", render_mode="rgb_array")
    v.reset(seed=0)
    assert len(v.render()) == 2


def test_pettingzoo_parallel_and_aec_api():
    import functools

    from pettingzoo.test import api_test, max_cycles_test, parallel_api_test, parallel_seed_test, seed_test

    parallel_api_test(parallel_env(preset="duel"), num_cycles=100)
    api_test(env(preset="duel"), num_cycles=20)
    parallel_seed_test(lambda: parallel_env(preset="duel"))
    seed_test(lambda: env(preset="duel"), num_cycles=20)

    class DuelModule:  # max_cycles_test calls mod.parallel_env(max_cycles=...) and mod.env(max_cycles=...)
        parallel_env = staticmethod(functools.partial(parallel_env, preset="duel"))
        env = staticmethod(functools.partial(env, preset="duel"))

    max_cycles_test(DuelModule)


def test_pettingzoo_eliminated_agents_leave():
    p = parallel_env(preset="duel", max_cycles=5)
    obs, _ = p.reset(seed=0)
    s = p.state
    s.troops[0] = (5_000_000, 10)
    # Player 0 spreads until it touches player 1 is slow; instead give player 1 a single tile next to player 0.
    s.owner[0][s.owner[0] == 1] = core.NEUTRAL
    y, x = np.argwhere(s.owner[0] == 0)[0]
    for yy, xx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
        if 0 <= yy < s.height and 0 <= xx < s.width and s.owner[0, yy, xx] == core.NEUTRAL:
            s.owner[0, yy, xx] = 1
            break
    core.rebuild_derived(s, 0)
    cell = int(np.flatnonzero(s.owner[0].ravel() == 1)[0])
    assert s.tiles[0, 1] == 1
    # Aim at the lone tile with a direction-free cell launch through the core, then step the env.
    actions = np.zeros((1, 2, 3), np.int64)
    actions[0, 0] = (core.MODE_CELL, cell, 4)
    actions[0, 1] = (core.MODE_DIRECTION, core.WAIT, 0)
    core.step_envs(s, actions, 0)
    _, rewards, terms, truncs, _ = p.step({"player_0": 40, "player_1": 40})
    assert terms["player_1"] and terms["player_0"]  # the game is over: one player left
    assert p.agents == []
    assert rewards["player_1"] < 0 < rewards["player_0"]


def test_human_render_mode_opens_a_window_headless(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    e = TerritoryEnv(preset="duel", render_mode="human")
    e.reset(seed=0)
    e.step(40)
    assert e.render() is None
    e.close()


def test_env_pickles_mid_episode_and_continues_identically():
    import pickle

    e = TerritoryEnv(preset="duel")
    obs, _ = e.reset(seed=4)
    for _ in range(5):
        obs, *_ = e.step(int(np.flatnonzero(obs["action_mask"])[0]))
    clone = pickle.loads(pickle.dumps(e))
    for _ in range(5):
        a = int(np.flatnonzero(obs["action_mask"])[0])
        obs, r, *_ = e.step(a)
        obs2, r2, *_ = clone.step(a)
        np.testing.assert_array_equal(obs["map"], obs2["map"])
        assert r == r2


@pytest.mark.parametrize("action_mode", ["direction", "cell"])
def test_threads_split_the_batch_without_changing_a_single_result(action_mode):
    import pickle

    def play(num_threads):
        vec = TerritoryVectorEnv(num_envs=5, preset="duel", opponents="random", action_mode=action_mode,
                                 num_threads=num_threads, max_episode_steps=60)
        obs, _ = vec.reset(seed=11)
        trace = []
        for t in range(90):
            if t == 45 and num_threads > 1:
                vec = pickle.loads(pickle.dumps(vec))  # the pool does not pickle; it restarts
            vec.action_space.seed(t)
            actions = vec.action_space.sample()
            obs, rewards, terminated, truncated, _ = vec.step(actions)
            trace.append((obs["map"].copy(), obs["global"].copy(), obs["action_mask"].copy(), rewards.copy(),
                          terminated.copy(), truncated.copy()))
        hash_ = vec.state.state_hash()
        vec.close()
        return trace, hash_

    serial, serial_hash = play(1)
    threaded, threaded_hash = play(3)
    assert serial_hash == threaded_hash
    for a, b in zip(serial, threaded, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    assert any(t[4].any() or t[5].any() for t in serial)  # episodes ended and autoreset inside the run


@pytest.mark.slow
def test_sb3_check_env_and_maskable_ppo_train_through_the_adapter():
    pytest.importorskip("sb3_contrib")
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    from botarena.envs.common.sb3 import SB3VecEnv

    sb3_check_env(TerritoryEnv(preset="duel"))
    # SB3's MultiInputPolicy reads the uint8 map as an image (NatureCNN, which needs >= 36x36 maps).
    venv = SB3VecEnv(TerritoryVectorEnv(num_envs=2, preset="duel", max_episode_steps=40))
    model = MaskablePPO("MultiInputPolicy", venv, n_steps=16, batch_size=32, n_epochs=1, device="cpu")
    model.learn(64)


def test_pettingzoo_bot_seats_are_not_agents_and_play_out_finishes_the_game():
    from pettingzoo.test import parallel_api_test

    parallel_api_test(parallel_env(preset="duel", bots={1: "aggressor"}), num_cycles=50)
    p = parallel_env(num_players=3, map_size=24, bots={1: "expander", 2: "aggressor"}, max_cycles=600)
    obs, _ = p.reset(seed=0)
    assert p.possible_agents == ["player_0"]
    while p.agents:
        obs, *_ = p.step({"player_0": 40})
    p.play_out()
    places = p.final_placements()
    assert sorted(places.tolist()) == [1, 2, 3]
    assert p.state.done[0] or p.cycles == 600
    bots_only = parallel_env(preset="duel", bots={0: "expander", 1: "turtle"}, max_cycles=20)  # every seat a bot
    assert bots_only.reset(seed=0) == ({}, {}) and bots_only.play_out() is None and bots_only.cycles == 20
    with pytest.raises(ValueError, match="bots"):
        parallel_env(preset="duel", bots={1: "cheater"})
