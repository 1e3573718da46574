"""The shared play window and loop of ``botarena play``, headless (tests/conftest.py sets SDL_VIDEODRIVER=dummy)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pytest

from botarena.envs.common.play import ALERT, PlayLoop, PlayWindow, StatusStyle, add_session_args, session_seed
from botarena.envs.common.window import frame_surface, import_pygame

STYLE = StatusStyle(height=30, background=(10, 20, 30), rule=(90, 90, 90))


def chequer(h: int = 20, w: int = 40) -> np.ndarray:
    frame = np.zeros((h, w, 3), np.uint8)
    frame[::2, ::2] = 255
    return frame


def pixels(pg: Any, surface: Any) -> np.ndarray:
    return pg.surfarray.array3d(surface).transpose(1, 0, 2)


def test_frames_grow_by_repeating_pixels_and_shrink_smoothly():
    pg = import_pygame()
    frame = chequer()
    big = pixels(pg, frame_surface(pg, frame, (80, 40)))
    np.testing.assert_array_equal(big, np.repeat(np.repeat(frame, 2, axis=0), 2, axis=1))
    small = pixels(pg, frame_surface(pg, frame, (20, 10)))
    assert 0 < small.mean() < 255 and len(np.unique(small)) <= 3  # averaged, not sampled to all-white


def test_the_window_shows_the_frame_over_a_status_line_and_an_alert_wins_a_narrow_line(tmp_path):
    window = PlayWindow("test", (20, 40), 2.0, STYLE)
    try:
        assert window.surface.get_size() == (80, 40 + STYLE.height)
        window.draw(chequer(), "left", "a hint far too long for eighty pixels", alert=False)
        shot = pixels(window.pygame, window.surface)
        assert tuple(shot[0, 0]) == (255, 255, 255) and tuple(shot[40, 5]) == STYLE.rule
        assert tuple(shot[55, 79]) == STYLE.background and not (shot[41:] == ALERT).all(axis=2).any()
        window.draw(chequer(), "left", "PAUSED", alert=True)
        assert (pixels(window.pygame, window.surface)[41:] == ALERT).all(axis=2).any()
        path = window.screenshot(tmp_path / "deep" / "shot.png")
        assert path.stat().st_size > 0
    finally:
        window.close()


def test_a_scale_outside_the_range_names_the_flag():
    with pytest.raises(ValueError, match=r"--scale must be in \[0.25, 4\], got 5"):
        PlayWindow("test", (20, 40), 5.0, STYLE)


def test_session_options_are_checked():
    parser = argparse.ArgumentParser()
    add_session_args(parser, "toy", unit="ticks", fps=None, max_steps_aliases=("--max-ticks",))
    args = parser.parse_args(["--max-ticks", "3", "--seed", "9"])
    assert args.max_steps == 3 and not hasattr(args, "fps") and session_seed(args) == 9
    with pytest.raises(ValueError, match="--max-steps must be an int >= 1, got 0"):
        session_seed(parser.parse_args(["--max-steps", "0"]))


class CountdownEnv:
    """Terminates after ``length`` steps; the reward is the action."""

    def __init__(self, length: int) -> None:
        self.length, self.t, self.closed = length, 0, False

    def step(self, action: int) -> tuple:
        self.t += 1
        return None, float(action), self.t >= self.length, False, {"t": self.t}

    def close(self) -> None:
        self.closed = True


class ListRecorder:
    def __init__(self) -> None:
        self.rewards: list[float] = []

    def record(self, action: Any, reward: float, info: dict) -> None:
        self.rewards.append(reward)


class ToyPlay(PlayLoop):
    """Sends 2 every turn; quits after ``quit_after`` turns if the game has not stopped it."""

    unit = "moves"

    def __init__(self, env: Any, window: PlayWindow, *, quit_after: int = 100, **kw: Any) -> None:
        super().__init__(env, window, ListRecorder(), game="toy", player="test", **kw)
        self.turns, self.quit_after, self.drawn = 0, quit_after, 0

    @property
    def quit(self) -> bool:
        return self.turns >= self.quit_after

    def handle_event(self, event: Any) -> None:
        pass

    def next_action(self) -> int:
        return 2

    def draw(self) -> None:
        self.drawn += 1

    def wait(self) -> None:
        self.turns += 1


@pytest.mark.parametrize("length, max_steps, ends_with_game, stopped_by, steps", [
    (5, 3, False, "max_steps", 3),
    (5, None, True, "episode_end", 5),
    (5, None, False, "episode_end", 5),  # a human sees the result until quitting
    (50, None, False, "quit", 10),
])
def test_the_loop_stops_for_the_same_reasons_in_every_game(length, max_steps, ends_with_game, stopped_by, steps):
    window = PlayWindow("test", (20, 40), 1.0, STYLE)
    env = CountdownEnv(length)
    game = ToyPlay(env, window, quit_after=10, max_steps=max_steps, ends_with_game=ends_with_game)
    try:
        assert game.run() == stopped_by
    finally:
        window.close()
    assert game.steps == steps and game.recorder.rewards == [2.0] * steps and game.total_reward == 2.0 * steps
    # Every turn draws and then waits, except the last: a quit leaves before drawing, any other stop after.
    assert game.drawn == game.turns + (not game.quit)
