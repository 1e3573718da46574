"""The scripted players: the expert beats random, the styles differ, the event streams look human."""

from __future__ import annotations

import numpy as np
from tick_duel_helpers import BotBatch

from botarena.envs.tick_duel import bots, core


def _games(policies: tuple[int, int], num_envs: int = 24, seed: int = 0, ticks: int = 500, build: int = 0):
    b = BotBatch(policies, np.full((num_envs, 2), build), seed)
    s, events, counts = b.s, b.events, b.counts
    streams = []
    absolute = [[] for _ in range(num_envs)]  # env i's event times from the start of the duel
    for t in range(ticks):
        running = s.done == 0
        b.plan_tick()
        streams.extend(events[i, 0, :counts[i, 0]].copy() for i in np.flatnonzero(running))
        for i in np.flatnonzero(running):
            absolute[i].extend((t * core.TICK_MS + events[i, 0, :counts[i, 0], core.F_TIME]).tolist())
        b.play_tick()
        if s.done.all():
            break
    return s, streams, [np.array(a) for a in absolute]


def test_bot_names_are_the_documented_ones():
    assert bots.BOT_NAMES == ("random", "nh_expert", "nh_expert:fast", "nh_expert:sloppy", "tick_perfect")
    assert bots.bot_id("nh_expert:fast") == bots.BOT_NH_FAST


def test_nh_expert_beats_random_nearly_always():
    for build in range(core.NUM_BUILDS):
        s, _, _ = _games((bots.BOT_NH_EXPERT, bots.BOT_RANDOM), seed=build, build=build)
        assert (s.winner == 0).mean() >= 0.95, (build, s.winner)


def test_faster_hands_win_more_and_tick_perfect_is_a_ceiling():
    s, _, _ = _games((bots.BOT_NH_FAST, bots.BOT_NH_SLOPPY), seed=3)
    assert (s.winner == 0).sum() > (s.winner == 1).sum() + 6
    s, _, _ = _games((bots.BOT_TICK_PERFECT, bots.BOT_NH_EXPERT), seed=4)
    assert (s.winner == 0).sum() > (s.winner == 1).sum() + 6


def test_human_event_streams_have_0_to_40_events_a_tick_with_fast_medium_and_slow_gaps():
    for policy in (bots.BOT_NH_FAST, bots.BOT_NH_EXPERT, bots.BOT_NH_SLOPPY):
        _, streams, absolute = _games((policy, bots.BOT_NH_EXPERT), num_envs=8, seed=policy, ticks=200)
        counts = np.array([len(x) for x in streams])
        assert counts.min() >= 0 and counts.max() <= 40
        assert (counts == 0).any() and (counts >= 10).any()
        assert all((np.diff(x[:, core.F_TIME]) >= 0).all() for x in streams)  # handed over in time order
        # Gaps in the continuous stream (across tick boundaries), as a sequential decoder sees them.
        gaps = np.concatenate([np.diff(a) for a in absolute])
        assert (gaps < 100).mean() > 0.3 and ((gaps >= 100) & (gaps <= 300)).any() and (gaps > 300).any()
        every = np.concatenate([x for x in streams if len(x)])
        assert (every[:, core.F_TIME] >= 0).all() and (every[:, core.F_TIME] < core.TICK_MS).all()
        assert (every[:, core.F_X] >= 0).all() and (every[:, core.F_X] < core.SCREEN_W).all()
        assert (every[:, core.F_Y] >= 0).all() and (every[:, core.F_Y] < core.SCREEN_H).all()
        types = every[:, core.F_TYPE].astype(int)
        assert {core.EV_MOVE, core.EV_LEFT_CLICK} <= set(types.tolist())


def test_sloppy_hands_are_slower_than_fast_ones():
    first = {}
    for policy in (bots.BOT_NH_FAST, bots.BOT_NH_SLOPPY):
        _, streams, absolute = _games((policy, bots.BOT_NH_EXPERT), num_envs=8, seed=9, ticks=100)
        clicks = [x[x[:, core.F_TYPE] == core.EV_LEFT_CLICK, core.F_TIME] for x in streams]
        first[policy] = np.median([c[0] for c in clicks if len(c)])
    assert first[bots.BOT_NH_FAST] < first[bots.BOT_NH_SLOPPY]


def test_the_expert_prays_against_the_opponents_weapon_within_a_tick_or_two():
    s, _, _ = _games((bots.BOT_NH_FAST, bots.BOT_RANDOM), num_envs=8, seed=1, ticks=3)
    opp_style = core.ITEM_STYLE[s.equipment[:, 1, core.SLOT_WEAPON]]
    assert (s.protect[:, 0] == opp_style).mean() >= 0.75
