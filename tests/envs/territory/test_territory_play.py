"""Human play of Territory: click and key mapping (no display), and scripted games that replay exactly.

tests/conftest.py sets SDL_VIDEODRIVER=dummy, so the pygame window opens headless.
"""

from __future__ import annotations

import numpy as np
import pytest

from botarena.envs.common.recording import EpisodeRecording, replay
from botarena.envs.common.window import import_pygame
from botarena.envs.territory import core, play

H, W = 6, 8
ME = 0


@pytest.fixture(scope="module")
def pg():
    return import_pygame()


def border_map() -> tuple[np.ndarray, np.ndarray]:
    """Seat 0 holds columns 0-1; neutral land to the east with a water tile at (0, 3); player 1 holds
    columns 6-7 and a strip along the bottom row that touches seat 0 at (5, 2). Every tile of column 2 is
    a valid frontier cell, at every intensity."""
    owner = np.full((H, W), core.NEUTRAL, np.int8)
    owner[:, :2] = ME
    owner[:, 6:] = 1
    owner[5, 2:6] = 1
    owner[0, 3] = core.IMPASSABLE
    mask = np.zeros(H * W + 1 + core.NUM_INTENSITIES, np.int8)
    mask[[y * W + 2 for y in range(H)]] = 1
    mask[H * W:] = 1
    return owner, mask


def test_a_click_on_neutral_land_attacks_the_nearest_neutral_frontier_cell():
    owner, mask = border_map()
    action, message = play.click_to_action((2, 4), owner, mask, ME, intensity=3)
    np.testing.assert_array_equal(action, [2 * W + 2, 3])
    assert "neutral" in message and "60%" in message


def test_a_click_deep_inside_a_neighbour_attacks_that_neighbour_where_it_touches_us():
    owner, mask = border_map()
    action, message = play.click_to_action((1, 7), owner, mask, ME, intensity=1)
    np.testing.assert_array_equal(action, [5 * W + 2, 1])  # its only frontier cell, far from the click
    assert "blue" in message


def test_a_click_on_water_snaps_to_the_coast_and_far_water_waits():
    owner, mask = border_map()
    action, _ = play.click_to_action((0, 3), owner, mask, ME, intensity=0)
    np.testing.assert_array_equal(action, [0 * W + 2, 0])
    owner[1:, 3:6] = core.IMPASSABLE  # a lake whose far shore is beyond WATER_SNAP_TILES of the frontier
    action, message = play.click_to_action((4, 5), owner, mask, ME, intensity=0)
    np.testing.assert_array_equal(action, [4 * W + 2, 0])  # 3 tiles away: snapped
    mask[: H * W] = 0
    mask[0 * W + 2] = 1  # only (0, 2) is still valid, 5 tiles from the click
    action, message = play.click_to_action((4, 5), owner, mask, ME, intensity=0)
    assert action[0] == H * W and "water" in message


def test_clicks_on_own_land_off_the_map_or_on_a_non_neighbour_wait():
    owner, mask = border_map()
    noop = [H * W, 0]
    np.testing.assert_array_equal(play.click_to_action((3, 0), owner, mask, ME, 2)[0], noop)
    np.testing.assert_array_equal(play.click_to_action(None, owner, mask, ME, 2)[0], noop)
    owner[5, 2:6] = core.NEUTRAL  # player 1 no longer touches us
    action, message = play.click_to_action((3, 7), owner, mask, ME, 2)
    np.testing.assert_array_equal(action, noop)
    assert "cannot attack" in message


def test_window_pixels_map_to_tiles_and_back_and_the_panel_is_off_the_map():
    view = play.MapView(height=H, width=W, tile_px=6, scale=1.5)  # 9 window pixels per tile
    assert view.pixel_to_tile(0, 0) == (0, 0)
    assert view.pixel_to_tile(8.9, 17.99) == (1, 0)
    assert view.pixel_to_tile(9 * W + 3, 10) is None  # the ranking panel right of the map
    assert view.pixel_to_tile(5, 9 * H + 1) is None  # the status line below it
    for y, x in [(0, 0), (2, 5), (H - 1, W - 1)]:
        assert view.pixel_to_tile(*view.tile_to_pixel(y, x)) == (y, x)


def test_number_keys_choose_intensity_space_pauses_and_escape_quits(pg):
    inp = play.PlayerInput()
    assert inp.intensity == play.DEFAULT_INTENSITY
    for key, want in [(pg.K_1, 0), (pg.K_5, 4), (pg.K_KP2, 1), (pg.K_a, 1)]:
        inp.handle_event(pg.event.Event(pg.KEYDOWN, key=key), pg)
        assert inp.intensity == want
    inp.handle_event(pg.event.Event(pg.KEYDOWN, key=pg.K_SPACE), pg)
    assert inp.paused
    inp.handle_event(pg.event.Event(pg.KEYDOWN, key=pg.K_SPACE), pg)
    assert not inp.paused
    inp.handle_event(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(12, 34), button=1), pg)
    inp.handle_event(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(1, 1), button=3), pg)  # right button: ignored
    assert list(inp.clicks) == [(12, 34)]
    assert not inp.quit
    inp.handle_event(pg.event.Event(pg.KEYDOWN, key=pg.K_ESCAPE), pg)
    assert inp.quit
    closed = play.PlayerInput()
    closed.handle_event(pg.event.Event(pg.QUIT), pg)
    assert closed.quit


def replays_exactly(path) -> EpisodeRecording:
    rec = EpisodeRecording.load(path)
    assert sum(1 for _ in replay(rec)) == rec.length  # replay raises ReplayDivergence on any other reward
    return rec


def test_an_autoplayed_game_clicks_launches_and_replays_exactly(tmp_path, capsys):
    out = tmp_path / "game.npz"
    shot = tmp_path / "shot.png"
    assert play.main(["--preset", "duel", "--seed", "3", "--max-steps", "20", "--autoplay", "--fps", "0",
                      "--record", str(out), "--screenshot", str(shot)]) == 0
    assert str(out) in capsys.readouterr().out
    rec = replays_exactly(out)
    assert rec.length == 20 and rec.env_id == play.ENV_ID and rec.seed == 3
    assert rec.env_kwargs["action_mode"] == "cell" and rec.extra["player"] == "autoplay"
    cells = rec.actions["agent"][:, 0]
    assert (cells < 64 * 64).sum() >= 3  # the synthetic clicks became launches
    assert shot.stat().st_size > 0


@pytest.mark.parametrize("seat_bot, action_mode", [("expander", "cell"), ("random", "direction")])
def test_a_spectated_game_is_recorded_and_replays_exactly(tmp_path, seat_bot, action_mode):
    out = tmp_path / "watch.npz"
    assert play.main(["--spectate", "--seat-bot", seat_bot, "--preset", "duel", "--seed", "5", "--seat", "1",
                      "--max-steps", "20", "--fps", "0", "--record", str(out)]) == 0
    rec = replays_exactly(out)
    assert rec.env_kwargs["action_mode"] == action_mode and rec.env_kwargs["learner_seat"] == 1
    assert rec.extra["player"] == f"bot:{seat_bot}"


def test_the_botarena_command_reaches_the_territory_player(capsys):
    from botarena.agents.cli import main as cli_main

    with pytest.raises(SystemExit) as exit_info:
        cli_main(["play", "territory", "--help"])
    assert exit_info.value.code == 0
    assert "botarena play territory" in capsys.readouterr().out
