"""Human play: pygame input becomes timed events; an autoplayed duel records and replays exactly.

tests/conftest.py sets SDL_VIDEODRIVER=dummy, so the pygame window opens headless.
"""

from __future__ import annotations

import numpy as np
import pytest

from botarena.envs.common.recording import EpisodeRecording, replay
from botarena.envs.common.window import import_pygame
from botarena.envs.tick_duel import core, play
from botarena.envs.tick_duel.play import TickInput


@pytest.fixture(scope="module")
def pg():
    return import_pygame()


def test_pygame_input_becomes_timed_events(pg):
    inp = TickInput(4)
    inp.handle(pg.event.Event(pg.MOUSEMOTION, pos=(200, 100), rel=(0, 0), buttons=(0, 0, 0)), pg, 12.5, 2.0)
    inp.handle(pg.event.Event(pg.KEYDOWN, key=pg.K_F4, mod=0, unicode="", scancode=0), pg, 50.0, 2.0)
    inp.handle(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(300, 200), button=1), pg, 70.0, 2.0)
    inp.handle(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(300, 200), button=3), pg, 650.0, 2.0)
    assert inp.n == 4
    np.testing.assert_array_equal(inp.events[0], [12.5, core.EV_MOVE, 100, 50, 0, 0, 0])
    np.testing.assert_array_equal(inp.events[1], [50.0, core.EV_KEY_DOWN, 100, 50, 0, 4, 0])
    np.testing.assert_array_equal(inp.events[2], [70.0, core.EV_LEFT_CLICK, 150, 100, 1, 0, 0])
    assert inp.events[3, 0] < 600 and inp.events[3, 1] == core.EV_RIGHT_CLICK  # clipped into the tick
    # Full: a further move is dropped, a click replaces the last move.
    inp.handle(pg.event.Event(pg.MOUSEMOTION, pos=(10, 10), rel=(0, 0), buttons=(0, 0, 0)), pg, 80.0, 1.0)
    assert inp.n == 4 and inp.events[0, 1] == core.EV_MOVE
    inp.handle(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(10, 10), button=1), pg, 90.0, 1.0)
    assert (inp.events[:, 1] == core.EV_MOVE).sum() == 0 and inp.events[3, 0] == 90.0
    inp.handle(pg.event.Event(pg.KEYDOWN, key=pg.K_ESCAPE, mod=0, unicode="", scancode=0), pg, 1.0, 1.0)
    assert inp.quit


def test_the_client_preview_shows_a_tab_opened_in_this_tick(pg):
    from tick_duel_helpers import fresh

    s = fresh()
    inp = TickInput(8)
    inp.handle(pg.event.Event(pg.KEYDOWN, key=pg.K_F5, mod=0, unicode="", scancode=0), pg, 10.0, 1.0)
    assert play.client_preview(s, inp).open_tab[0, 0] == core.TAB_MAGIC
    assert s.open_tab[0, 0] == core.TAB_INVENTORY  # the real state waits for the boundary


def test_an_autoplayed_duel_records_and_replays_exactly(tmp_path, capsys):
    path = tmp_path / "duel.npz"
    shot = tmp_path / "duel.png"
    assert play.main(["--autoplay", "--tick-ms", "25", "--max-ticks", "40", "--seed", "3", "--record", str(path),
                      "--screenshot", str(shot), "--opponent", "nh_expert:sloppy"]) == 0
    assert shot.is_file() and "recording saved" in capsys.readouterr().out
    rec = EpisodeRecording.load(path)
    assert rec.env_id == "botarena/TickDuel-v1"
    # Real-time input: the outcome depends on the clock, so the duel may end before 40 ticks.
    assert rec.length == 40 or (rec.terminated and 0 < rec.length < 40)
    events = rec.actions["agent"]["events"]
    n = rec.actions["agent"]["n"]
    assert n.sum() > rec.length  # the synthetic hand made events
    live = np.arange(events.shape[1])[None] < n[:, None]
    assert (events[live][:, 0] >= 0).all() and (events[live][:, 0] < 600).all()
    steps = list(replay(rec))  # raises ReplayDivergence if a reward differs
    assert len(steps) == rec.length
    assert sum(float(s[1]) for s in steps) == pytest.approx(rec.total_reward())


def test_spectate_and_max_steps_mean_what_they_mean_in_the_other_games(tmp_path):
    path = tmp_path / "spectated.npz"
    assert play.main(["--spectate", "tick_perfect", "--tick-ms", "5", "--max-steps", "6", "--seed", "1",
                      "--record", str(path)]) == 0
    rec = EpisodeRecording.load(path)
    assert rec.length <= 6 and rec.actions["agent"]["n"].sum() > 0  # the bot's hand made the events


def test_a_registered_agent_can_be_the_opponent_and_its_duel_replays(tmp_path):
    """``--opponent tick_duel/random``: a registered agent (acting on seat 1's observation, not a built-in bot)
    plays the other seat; the recording names it, and the replay makes it again and plays the same duel."""
    path = tmp_path / "vs-agent.npz"
    assert play.main(["--spectate", "nh_expert:fast", "--tick-ms", "5", "--max-steps", "30", "--seed", "2",
                      "--record", str(path), "--opponent", "tick_duel/random"]) == 0
    rec = EpisodeRecording.load(path)
    assert rec.env_kwargs["opponent"] == "tick_duel/random"
    steps = list(replay(rec))  # raises ReplayDivergence if a reward differs
    assert len(steps) == rec.length > 0
