"""Human play of ClickArena: the mouse and key mapping (no display), and headless games that replay exactly.

tests/conftest.py sets SDL_VIDEODRIVER=dummy, so the pygame window opens headless.
"""

from __future__ import annotations

import numpy as np
import pytest

from botarena.envs.click_arena import core, play
from botarena.envs.common.recording import EpisodeRecording, replay
from botarena.envs.common.window import import_pygame


@pytest.fixture(scope="module")
def pg():
    return import_pygame()


def test_mouse_and_keys_become_the_action(pg):
    inp = play.PlayerInput()
    scale = 1.5
    inp.handle_event(pg.event.Event(pg.MOUSEMOTION, pos=(600, 450), rel=(0, 0), buttons=(0, 0, 0)), pg)
    np.testing.assert_allclose(inp.action(scale), [0.5, 0.5, 0.0, 0.0])
    inp.handle_event(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(1200, 0), button=1), pg)
    inp.handle_event(pg.event.Event(pg.KEYDOWN, key=pg.K_LCTRL, mod=0, unicode="", scancode=0), pg)
    inp.handle_event(pg.event.Event(pg.KEYDOWN, key=pg.K_SPACE, mod=0, unicode=" ", scancode=0), pg)
    np.testing.assert_allclose(inp.action(scale), [1.0, 0.0, 1.0, 1.0])
    inp.handle_event(pg.event.Event(pg.KEYUP, key=pg.K_SPACE, mod=0, unicode=" ", scancode=0), pg)
    assert inp.action(scale)[3] == 1.0  # Ctrl is still held
    inp.handle_event(pg.event.Event(pg.KEYUP, key=pg.K_LCTRL, mod=0, unicode="", scancode=0), pg)
    inp.handle_event(pg.event.Event(pg.MOUSEBUTTONUP, pos=(1200, 0), button=1), pg)
    np.testing.assert_allclose(inp.action(scale), [1.0, 0.0, 0.0, 0.0])
    inp.handle_event(pg.event.Event(pg.MOUSEMOTION, pos=(-30, 2000), rel=(0, 0), buttons=(0, 0, 0)), pg)
    np.testing.assert_allclose(inp.action(scale)[:2], [0.0, 1.0])  # clamped to the screen
    inp.handle_event(pg.event.Event(pg.KEYDOWN, key=pg.K_ESCAPE, mod=0, unicode="", scancode=0), pg)
    assert inp.quit


@pytest.mark.parametrize("mode", [["--autoplay"], ["--spectate", "expert"], ["--spectate", "random"],
                                  ["--spectate", "click_arena/random"]])
def test_headless_games_record_screenshot_and_replay_exactly(tmp_path, mode):
    rec = tmp_path / "game.npz"
    shot = tmp_path / "shot.png"
    assert play.main([*mode, "--seed", "3", "--fps", "0", "--max-steps", "300", "--record", str(rec),
                      "--screenshot", str(shot)]) == 0
    assert shot.stat().st_size > 1000
    recording = EpisodeRecording.load(rec)
    assert recording.env_id == play.ENV_ID and recording.length == 300
    steps = sum(1 for _ in replay(recording))  # raises ReplayDivergence if a reward differs
    assert steps == 300
    if mode[0] == "--autoplay" or mode[1] == "expert":
        assert recording.total_reward() > 0  # the expert's input path fights


def test_autoplay_input_matches_the_expert_it_imitates():
    # the synthetic human (events -> PlayerInput) sends the expert's actions up to a pixel of rounding
    import gymnasium as gym

    import botarena.envs  # noqa: F401

    env = gym.make(play.ENV_ID)
    env.reset(seed=5)
    state = env.unwrapped.batch.state
    pg = import_pygame()
    pg.init()
    pg.display.set_mode((800, 600))
    auto = play.Autoplayer(state)
    shadow = play.SeatBot("expert", state)
    inp = play.PlayerInput()
    for _ in range(200):
        auto.post(pg, state, 1.0)
        expected = shadow.act(state)
        for event in pg.event.get():
            inp.handle_event(event, pg)
        a = inp.action(1.0)
        np.testing.assert_allclose(a[:2], expected[:2], atol=1.0 / core.VIEW_H)
        np.testing.assert_array_equal(a[2:], expected[2:])
        env.step(a)
    pg.display.quit()
