"""Duel a TickDuel bot with the real mouse and keyboard, in real time (``botarena play tick_duel``).

The window is the env's 765 x 503 client frame (scaled by ``--scale``) and a status line. The game runs at one
tick per 600 ms of wall-clock time whatever you do; every input event you make is stamped with the time since
the tick began (measured when the event is read, the loop polls every ~2 ms) and the tick's events go to the
env as its action, exactly the ``Dict(n, events)`` an agent sends. What you click reaches the client at once:
the frame between boundaries is the client after your events so far (the env's own UI code run on a copy of
the state), so an F-key opens its tab immediately; game effects land at the boundary.

Input mapping
-------------
=========================  ===============================================================================
pygame input               event
=========================  ===============================================================================
mouse motion               MOVE at the cursor (when a tick holds ``max_events`` events, later moves are
                           dropped; a click or key replaces the last move)
left / right button down   LEFT_CLICK / RIGHT_CLICK (button 1 / 2); the middle button is MOVE-only
wheel                      SCROLL (wheel ticks, clipped to [-10, 10])
F1-F5                      KEY_DOWN / KEY_UP with key_id 1-5 (combat, inventory, equipment, prayer, magic)
Q W E R T A S D F G        KEY_DOWN / KEY_UP with key_id 6-15 (no game effect; recorded as made)
Esc, closing the window    quit (the duel so far is recorded)
=========================  ===============================================================================

``--tick-ms`` changes the wall-clock length of a tick (tests use a few ms); times are scaled onto the game's
600 ms tick. ``--autoplay`` replaces the human with synthetic input: each tick the ``--autoplay-bot`` (default
``nh_expert:fast``) plans its events on a copy of the state, and they are posted as pygame events when their
time comes, so the real input path runs headless. Every duel is recorded (``EpisodeRecorder``: the env id,
the env arguments, the seed, every tick's events) to ``--record`` (default
``runs/replays/tick_duel-<time>.npz``); ``botarena replay PATH --render`` re-simulates it and checks every reward.
``--screenshot PATH`` saves the window when the duel ends.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from botarena.envs import GAMES
from botarena.envs.common.play import PlayLoop, PlayWindow, StatusStyle, add_session_args, game_title, session_seed
from botarena.envs.common.recording import EpisodeRecorder

from . import bots, core, render

SPEC = GAMES["tick_duel"]
ENV_ID = SPEC.env_id
STATUS = StatusStyle(height=30, background=(24, 22, 18), text=(230, 230, 230))
POLL_S = 0.002
OTHER_KEYS = "qwertasdfg"  # key_ids 6-15
INFO_KEYS = ("hp", "opponent_hp", "winner")


def key_id(key: int, pg: Any) -> int:
    """The event ``key_id`` of a pygame key: F1-F5 -> 1-5, the keys of ``OTHER_KEYS`` -> 6-15, else 0."""
    for k in range(core.NUM_TABS):
        if key == getattr(pg, f"K_F{k + 1}"):
            return k + 1
    for k, ch in enumerate(OTHER_KEYS):
        if key == getattr(pg, f"K_{ch}"):
            return 6 + k
    return 0


class TickInput:
    """The events of the current tick, stamped with their time in the tick (ms, scaled to 600)."""

    def __init__(self, max_events: int) -> None:
        self.events = np.zeros((max_events, core.EVENT_FIELDS), np.float32)
        self.n = 0
        self.quit = False

    def clear(self) -> None:
        self.events[:] = 0.0
        self.n = 0

    def add(self, t_ms: float, etype: int, x: float, y: float, button: int = 0, key: int = 0,
            scroll: float = 0.0) -> None:
        t_ms = min(max(t_ms, 0.0), float(np.nextafter(np.float32(core.TICK_MS), np.float32(0))))
        x = min(max(x, 0.0), core.SCREEN_W - 1.0)
        y = min(max(y, 0.0), core.SCREEN_H - 1.0)
        row = (t_ms, etype, x, y, button, key, scroll)
        if self.n < len(self.events):
            self.events[self.n] = row
            self.n += 1
        elif etype != core.EV_MOVE:
            moves = np.flatnonzero(self.events[: self.n, core.F_TYPE] == core.EV_MOVE)
            if len(moves):  # a click or a key matters more than a move: drop the last move for it
                k = int(moves[-1])
                self.events[k:self.n - 1] = self.events[k + 1:self.n]
                self.events[self.n - 1] = row

    def handle(self, event: Any, pg: Any, t_ms: float, scale: float) -> None:
        """Turn one pygame event into a game event (or a quit)."""
        if event.type == pg.QUIT:
            self.quit = True
        elif event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE:
            self.quit = True
        elif event.type in (pg.KEYDOWN, pg.KEYUP):
            k = key_id(event.key, pg)
            if k:
                mx, my = self._cursor()
                self.add(t_ms, core.EV_KEY_DOWN if event.type == pg.KEYDOWN else core.EV_KEY_UP, mx, my, 0, k)
        elif event.type == pg.MOUSEMOTION:
            self.add(t_ms, core.EV_MOVE, event.pos[0] / scale, event.pos[1] / scale)
        elif event.type == pg.MOUSEBUTTONDOWN and event.button in (1, 3):
            etype = core.EV_LEFT_CLICK if event.button == 1 else core.EV_RIGHT_CLICK
            self.add(t_ms, etype, event.pos[0] / scale, event.pos[1] / scale, 1 if event.button == 1 else 2)
        elif event.type == pg.MOUSEWHEEL:
            mx, my = self._cursor()
            self.add(t_ms, core.EV_SCROLL, mx, my, 0, 0, float(np.clip(event.y, -core.MAX_SCROLL, core.MAX_SCROLL)))

    def _cursor(self) -> tuple[float, float]:
        for k in range(self.n - 1, -1, -1):
            if self.events[k, core.F_TYPE] != core.EV_KEY_DOWN and self.events[k, core.F_TYPE] != core.EV_KEY_UP:
                return float(self.events[k, core.F_X]), float(self.events[k, core.F_Y])
        return self.last_cursor

    last_cursor: tuple[float, float] = (core.SCREEN_W / 2.0, core.SCREEN_H / 2.0)


def client_preview(state: core.DuelState, inp: TickInput) -> core.DuelState:
    """The client as the player sees it now: the tick's events so far applied to a copy (no boundary)."""
    shadow = state.copy()
    order = np.zeros(len(inp.events), np.int64)
    core.apply_events(shadow, 0, 0, inp.events, inp.n, order)
    return shadow


class Autoplayer:
    """Synthetic input: a bot's events for the tick, planned on a copy, posted as pygame events on time."""

    def __init__(self, name: str) -> None:
        self.policy = bots.bot_id(name)
        if self.policy == bots.BOT_RANDOM:
            raise ValueError("--autoplay-bot random clicks anywhere; use an nh_expert style or tick_perfect")
        self.pending: list[tuple[float, int, float, float, int]] = []
        self.plan = bots.new_plan()
        self.rng_word: np.uint64 | None = None  # the bot's own stream, kept here: the env's state stays untouched

    def start_tick(self, state: core.DuelState, max_events: int) -> None:
        shadow = state.copy()
        if self.rng_word is not None:
            shadow.bot_rng[0, 0] = self.rng_word
        events = np.zeros((max_events, core.EVENT_FIELDS), np.float32)
        n = bots.bot_events_one(shadow, 0, 0, self.policy, events, self.plan)
        self.rng_word = shadow.bot_rng[0, 0]
        self.pending = [(float(e[0]), int(e[1]), float(e[2]), float(e[3]), int(e[5])) for e in events[:n]]

    def post(self, pg: Any, t_ms: float, scale: float) -> None:
        while self.pending and self.pending[0][0] <= t_ms:
            _, etype, x, y, key = self.pending.pop(0)
            pos = (int(round(x * scale)), int(round(y * scale)))
            if etype == core.EV_MOVE:
                pg.event.post(pg.event.Event(pg.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0)))
            elif etype in (core.EV_LEFT_CLICK, core.EV_RIGHT_CLICK):
                button = 1 if etype == core.EV_LEFT_CLICK else 3
                pg.event.post(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=pos, button=button))
            elif etype in (core.EV_KEY_DOWN, core.EV_KEY_UP) and 1 <= key <= core.NUM_TABS:
                kind = pg.KEYDOWN if etype == core.EV_KEY_DOWN else pg.KEYUP
                pg.event.post(pg.event.Event(kind, key=getattr(pg, f"K_F{key}"), mod=0, unicode="", scancode=0))


class TickDuelPlay(PlayLoop):
    """TickDuel in a ``PlayWindow``: ticks of ``--tick-ms`` wall-clock ms, input polled every ``POLL_S`` and
    stamped with its time in the tick, the client preview redrawn at up to 30 frames a second."""

    unit = "ticks"

    def __init__(self, env: Any, window: PlayWindow, recorder: EpisodeRecorder, args: argparse.Namespace) -> None:
        player = f"autoplay:{args.autoplay_bot}" if args.autoplay else "human"
        super().__init__(env, window, recorder, game=SPEC.name, player=player, max_steps=args.max_steps,
                         ends_with_game=True)
        self.batch = env.unwrapped.batch
        self.scale, self.tick_ms = window.scale, args.tick_ms
        self.tick_s = args.tick_ms / 1000.0
        self.info = {"hp": 0, "opponent_hp": 0, "winner": -1}
        self.input = TickInput(self.batch.max_events)
        self.autoplayer = Autoplayer(args.autoplay_bot) if args.autoplay else None
        self.last_frame = 0.0
        self.new_tick = False  # a tick has just begun: its first turn comes at once, undrawn and unslept
        self._start_tick()

    def _start_tick(self) -> None:
        self.tick_start = time.monotonic()
        self.input.clear()
        if self.autoplayer is not None:
            self.autoplayer.start_tick(self.batch.state, self.batch.max_events)

    def _time_in_tick(self, now: float) -> float:
        """Milliseconds since the tick began, on the game's 600 ms scale."""
        return (now - self.tick_start) / self.tick_s * core.TICK_MS

    @property
    def quit(self) -> bool:
        return self.input.quit

    def step_due(self, now: float) -> bool:
        return now - self.tick_start >= self.tick_s

    def post_synthetic_input(self, now: float, due: bool) -> None:
        if self.autoplayer is not None and not due:  # what the bot has not sent by the boundary is dropped
            self.autoplayer.post(self.pg, self._time_in_tick(now), self.scale)

    def handle_event(self, event: Any) -> None:
        # Stamped when read; an event read at the boundary happened before it, so it is clipped into this tick.
        self.input.handle(event, self.pg, self._time_in_tick(time.monotonic()), self.scale)

    def next_action(self) -> dict[str, Any]:
        return {"n": np.int64(self.input.n), "events": self.input.events.copy()}

    def after_step(self, now: float) -> None:
        state = self.batch.state
        self.input.last_cursor = (float(state.cursor_x[0, 0]), float(state.cursor_y[0, 0]))
        if not (self.done or self.out_of_steps):  # the last tick's events stay for the result's trail
            self._start_tick()
            self.new_tick = True

    def draw(self) -> None:
        if self.new_tick:
            return  # the new tick's bot input comes first; its first turn draws
        if time.monotonic() - self.last_frame > 1 / 30 or self.tick_s < 0.1:
            progress = (time.monotonic() - self.tick_start) / self.tick_s
            self._draw(client_preview(self.batch.state, self.input), progress)
            self.last_frame = time.monotonic()

    def wait(self) -> None:
        if self.new_tick:
            self.new_tick = False
            return
        time.sleep(POLL_S)

    def draw_result(self) -> None:
        self._draw(self.batch.state, 1.0)

    def _draw(self, state: core.DuelState, progress: float) -> None:
        frame = render.render_rgb(state, 0, 0, self.input.events, self.input.n)
        self.window.draw(frame, _status(self.info, self.steps, self.total_reward, progress))

    def summary(self) -> str:
        result = {0: "you won", 1: "you lost", 2: "a draw"}.get(int(self.info.get("winner", -1)), "unfinished")
        return (f"{result} (hp {self.info.get('hp')} vs {self.info.get('opponent_hp')}, "
                f"return {self.total_reward:.1f})")

    def recording_extra(self) -> dict[str, Any]:
        return {"tick_ms": self.tick_ms}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"botarena play {SPEC.name}",
                                description="Duel a bot in real time with the mouse and keyboard (F1-F5 tabs, "
                                            "Esc quits). Every duel is recorded for `botarena replay`.")
    p.add_argument("--build", default="max", help=f"your build: {', '.join(core.BUILD_NAMES)} (default max)")
    p.add_argument("--opponent-build", default=None, help="the bot's build (default: yours)")
    p.add_argument("--opponent", default="nh_expert",
                   help=f"a built-in bot ({', '.join(bots.BOT_NAMES)}; default nh_expert) or a registered agent, "
                        f"e.g. tick_duel/decoder (`botarena agents`)")
    p.add_argument("--tick-ms", type=float, default=float(core.TICK_MS), help="wall-clock ms per tick (default 600)")
    # The game keeps its own clock (--tick-ms), so no --fps; one step is one tick, hence the --max-ticks spelling.
    add_session_args(p, SPEC.name, unit="ticks", fps=None, max_steps_aliases=("--max-ticks",))
    p.add_argument("--autoplay", action="store_true", help="synthetic input instead of a human (tests, screenshots)")
    p.add_argument("--autoplay-bot", default="nh_expert:fast",
                   help="the bot behind --autoplay (default nh_expert:fast)")
    p.add_argument("--spectate", default=None, metavar="BOT",
                   help=f"watch a bot play your seat through the real input path: --autoplay --autoplay-bot BOT "
                        f"({', '.join(bots.BOT_NAMES)})")
    p.add_argument("--scale", type=float, default=1.0, help="window scale (default 1)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import gymnasium as gym  # the ids are registered: importing GAMES imported botarena.envs

    if args.spectate is not None:  # the same flag as the other games' players
        args.autoplay, args.autoplay_bot = True, args.spectate
    if args.tick_ms <= 0:
        raise ValueError(f"--tick-ms must be > 0, got {args.tick_ms}")
    seed = session_seed(args)
    env_kwargs = {"build": args.build, "opponent_build": args.opponent_build or args.build, "opponent": args.opponent}
    env = gym.make(ENV_ID, render_mode="rgb_array", **env_kwargs)
    env.reset(seed=seed)
    recorder = EpisodeRecorder(seed=seed, env_kwargs=env_kwargs, env_id=ENV_ID, info_keys=INFO_KEYS)
    window = PlayWindow(f"botarena {game_title(SPEC)} ({args.build} vs {args.opponent}, seed {seed})",
                        (core.SCREEN_H, core.SCREEN_W), args.scale, STATUS)
    return TickDuelPlay(env, window, recorder, args).play(screenshot=args.screenshot, record=args.record)


def _status(info: dict, ticks: int, total: float, progress: float) -> str:
    winner = int(info.get("winner", -1))
    end = {0: "  YOU WON", 1: "  YOU LOST", 2: "  DRAW"}.get(winner, "")
    return (f"tick {ticks}  hp {info.get('hp')} vs {info.get('opponent_hp')}  return {total:.1f}  "
            f"[{'#' * int(progress * 10):<10}]{end}   F1-F5 tabs, Esc quits")


__all__ = ["Autoplayer", "TickDuelPlay", "TickInput", "build_parser", "client_preview", "key_id", "main"]
