"""Territory's arguments, masks, rewards, frames and threads, under the default rules (Territory-v2) unless a test
pins v1 (shared contracts: tests/envs/test_conformance.py; v2's own additions: test_territory_v2_env.py)."""

from __future__ import annotations

import numpy as np
import pytest
from territory_helpers import build_state

from botarena.envs.territory import TerritoryEnv, TerritoryVectorEnv, core, mapgen, parallel_env, render


@pytest.mark.parametrize("rules", [1, 2])
def test_observation_mask_equals_action_masks_and_wait_is_always_valid(rules):
    e = TerritoryEnv(preset="duel", rules=rules)
    obs, _ = e.reset(seed=1)
    recalls_seen = 0
    for _ in range(10):
        np.testing.assert_array_equal(obs["action_mask"].astype(bool), e.action_masks())
        assert obs["action_mask"][40] == 1
        # 41-44 recall attack slots 0-3 under v2 (valid while that slot has an attack to call back); v1 masks them.
        recallable = [rules == 2 and core.can_retreat(e.batch.state, 0, 0, k) for k in range(core.MAX_ATTACKS)]
        np.testing.assert_array_equal(obs["action_mask"][41:], recallable)
        recalls_seen += sum(recallable)
        obs, *_ = e.step(int(np.flatnonzero(obs["action_mask"])[0]))
    assert (recalls_seen > 0) == (rules == 2)


def test_shaped_reward_telescopes_to_the_land_share_gained():
    e = TerritoryEnv(preset="duel", gamma=1.0)
    obs, info = e.reset(seed=2)
    start, total = info["land_share"], 0.0
    for _ in range(30):
        obs, r, terminated, truncated, info = e.step(int(np.flatnonzero(obs["action_mask"])[0]))
        total += r
        assert not terminated
    assert total == pytest.approx(info["land_share"] - start, abs=1e-12)


def test_share_reward_sums_to_the_share_gained_plus_the_placement_paid_at_truncation():
    vec = TerritoryVectorEnv(num_envs=2, preset="duel", reward="share", max_episode_steps=25,
                             autoreset_mode="Disabled")
    obs, info = vec.reset(seed=4)
    start, total = info["land_share"].copy(), np.zeros(2)
    for step in range(25):
        obs, r, terminated, truncated, info = vec.step(obs["action_mask"].argmax(axis=1))
        total += r
        assert not terminated.any()
        if step < 24:
            assert not truncated.any() and (info["placement"] == 0).all()
    assert truncated.all()
    places = np.zeros(2, np.int64)
    for i in range(2):
        core.placements(vec.state, i, vec._places)
        places[i] = vec._places[0]
    np.testing.assert_array_equal(info["placement"], places)  # the game's own ranking, not 0
    np.testing.assert_allclose(total, info["land_share"] - start + (1 - 2 * (places - 1)), atol=1e-12)


def test_share_reward_in_the_pettingzoo_env_pays_every_seat_its_placement_at_truncation():
    from botarena.envs.territory import parallel_env

    env = parallel_env(preset="duel", reward="share", max_cycles=10)
    obs, _ = env.reset(seed=1)
    totals = dict.fromkeys(env.agents, 0.0)
    while env.agents:
        obs, rewards, terms, truncs, infos = env.step({a: 40 for a in env.agents})
        for a, r in rewards.items():
            totals[a] += r
    assert all(truncs.values())
    assert sorted(infos[a]["placement"] for a in infos) == [1, 2]
    assert sorted(round(v) for v in totals.values()) == [-1, 1]  # shares barely move while everyone waits


def test_sparse_reward_pays_nothing_for_surviving_or_acting():
    e = TerritoryEnv(preset="duel", reward="sparse")
    obs, _ = e.reset(seed=2)
    for _ in range(30):
        obs, r, terminated, *_ = e.step(int(np.flatnonzero(obs["action_mask"])[-1]))
        assert r == 0.0 and not terminated


@pytest.mark.parametrize("rules", [1, 2])
def test_eliminated_learner_terminates_with_last_place_reward(rules):
    vec = TerritoryVectorEnv(num_envs=1, preset="duel", reward="sparse", autoreset_mode="Disabled", rules=rules)
    vec.reset(seed=0)
    s = vec.state
    # Hand the learner's land to the opponent but one tile, then let the opponent's attack take it.
    keep = np.argwhere(s.owner[0] == 0)[0]
    s.owner[0][s.owner[0] == 0] = 1
    s.owner[0, keep[0], keep[1]] = 0
    core.rebuild_derived(s, 0)
    s.troops[0] = (10, 5_000_000)
    s.tick[0] = core.SPAWN_IMMUNITY_TICKS  # past v2's spawn immunity
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
    assert obs["map"].shape == (9, 20, 24)


def test_bad_png_maps_get_a_clear_error_and_a_huge_one_is_refused_before_decoding(tmp_path):
    import tracemalloc

    from PIL import Image

    good = tmp_path / "good.png"
    Image.fromarray(np.full((32, 32, 3), (120, 200, 90), np.uint8)).save(good)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:60])
    text = tmp_path / "text.png"
    text.write_text("not an image")
    for path in (cut, text):
        with pytest.raises(ValueError, match="could not be read as an image"):
            mapgen.load_png_map(str(path))
    huge = tmp_path / "huge.png"
    Image.new("L", (3000, 3000)).save(huge)  # tens of KB on disk; 27 MB as RGB, gigabytes through the palette match
    tracemalloc.start()
    with pytest.raises(ValueError, match="must be between"):
        mapgen.load_png_map(str(huge))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50 * 2**20
    with pytest.raises(FileNotFoundError):
        mapgen.load_png_map(str(tmp_path / "missing.png"))


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
    s.tick[0] = core.SPAWN_IMMUNITY_TICKS  # past v2's spawn immunity
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
