"""Play Territory by hand in a pygame window, or watch scripted bots play (``botarena play territory``).

Controls
--------
=====================  ===================================================================================
input                  effect
=====================  ===================================================================================
left click on the map  attack toward the clicked tile (see "How a click becomes an action")
1 2 3 4 5              attack intensity: commit 15 / 30 / 45 / 60 / 75 % of your home troops (default 3)
space                  pause / resume
Esc, closing window    quit (the game so far is saved)
=====================  ===================================================================================

The game advances at a steady ``--fps`` decisions per second (default 8) whether or not you click; a
decision without a click is a WAIT. Clicks queue (up to ``MAX_QUEUED_CLICKS``), one launch per decision.
The window shows the env's own ``rgb_array`` frame (map and ranking panel) scaled to fit the screen, and a
status line: your colour, the intensity, tiles / troops / rank, the result of your last click, pause.

How a click becomes an action
-----------------------------
The human plays the env's ``action_mode="cell"`` (``MultiDiscrete([H*W + 1, 5])``), which is how
territorial.io plays: you click on the land you want, not on a compass rose. A click is snapped to a
*frontier cell* (a tile beside your land that the cell mask allows): the one nearest the click among the
frontier cells owned by the owner of the clicked tile, so clicking deep inside a neighbour attacks that
neighbour with the front nearest your click. Clicking water or mountains snaps to the nearest frontier cell
within ``WATER_SNAP_TILES``; clicking your own land or a player you do not border is a WAIT. (The
``direction`` mode was the alternative: eight compass rays from the centroid cannot aim at a small
neighbour or a particular city, so clicks would often hit a different target than the one under the
cursor.) While the mouse is over the map the tile a click would attack is outlined.

Spectating and recording
------------------------
``--spectate`` watches a game of bots only: the env's learner seat is played by ``--seat-bot``, a registered
Territory agent acting on its observations (``--seat-bot territory/ppo-attention``, the learned one) or the
scripted bot of that name (default expander), which decides on a *copy* of the game state so that the env's own RNG
and scratch arrays are untouched; its decision is then fed to the env as an ordinary action. That keeps
spectated games recordable and replayable like human ones (the random bot speaks in compass directions,
so with ``--seat-bot random`` the env runs in ``direction`` mode).

Every game is recorded (``EpisodeRecorder``: the env id, the env keyword arguments, the seed and every action
of the seat) to ``--record`` (default ``runs/replays/territory-<time>.npz``);
``botarena replay PATH --render`` re-simulates it and checks every reward.

``--autoplay`` replaces the human with synthetic input posted as pygame events (clicks on random frontier
cells, number keys), so the whole input path runs headless in tests and for screenshots (``--screenshot``).
"""

from __future__ import annotations

import argparse
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from botarena.envs import GAMES
from botarena.envs.common.play import PlayLoop, PlayWindow, StatusStyle, add_session_args, game_title, session_seed
from botarena.envs.common.recording import EpisodeRecorder
from botarena.envs.common.validation import check_int

from . import bots, core, render

SPEC = GAMES["territory"]
ENV_ID = SPEC.env_id
COLOUR_NAMES = ("red", "blue", "green", "amber", "purple", "teal", "pink", "brown")
DEFAULT_INTENSITY = 2
MAX_QUEUED_CLICKS = 4
WATER_SNAP_TILES = 3
STATUS = StatusStyle(height=34, background=tuple(int(c) for c in render.BACKGROUND), rule=(70, 74, 84),
                     text=(230, 230, 230), hint=(170, 170, 170))
MESSAGE_DECISIONS = 16
AUTOPLAY_CLICK_EVERY = 4
AUTOPLAY_KEY_EVERY = 25
UI_FPS = 30.0
INFO_KEYS = ("tiles", "troops", "placement")


# ---------------------------------------------------------------------- input (no display needed)
def key_to_intensity(key: int, pg: Any) -> int | None:
    """Intensity index 0-4 for the keys 1-5 (top row or keypad), else None."""
    for k in range(core.NUM_INTENSITIES):
        if key in (getattr(pg, f"K_{k + 1}"), getattr(pg, f"K_KP{k + 1}", None)):
            return k
    return None


@dataclass
class PlayerInput:
    """What the human has asked for so far: intensity, pause, quit and the clicks not yet played."""

    intensity: int = DEFAULT_INTENSITY
    paused: bool = False
    quit: bool = False
    clicks: deque = field(default_factory=lambda: deque(maxlen=MAX_QUEUED_CLICKS))

    def handle_event(self, event: Any, pg: Any, accept_clicks: bool = True) -> None:
        """Update from one pygame event (QUIT, KEYDOWN, MOUSEBUTTONDOWN); other events are ignored."""
        if event.type == pg.QUIT:
            self.quit = True
        elif event.type == pg.KEYDOWN:
            if event.key == pg.K_ESCAPE:
                self.quit = True
            elif event.key == pg.K_SPACE:
                self.paused = not self.paused
            else:
                k = key_to_intensity(event.key, pg)
                if k is not None:
                    self.intensity = k
        elif event.type == pg.MOUSEBUTTONDOWN and event.button == 1 and accept_clicks:
            self.clicks.append(tuple(int(v) for v in event.pos))


@dataclass(frozen=True)
class MapView:
    """Where the map sits in the window: ``tile_px`` frame pixels per tile, the frame scaled by ``scale``."""

    height: int
    width: int
    tile_px: int
    scale: float

    def pixel_to_tile(self, px: float, py: float) -> tuple[int, int] | None:
        """The (y, x) tile under window pixel (px, py), or None off the map (panel, status line)."""
        fx, fy = int(px / self.scale), int(py / self.scale)
        if fx < 0 or fy < 0:
            return None
        y, x = fy // self.tile_px, fx // self.tile_px
        if y >= self.height or x >= self.width:
            return None
        return y, x

    def tile_to_pixel(self, y: int, x: int) -> tuple[int, int]:
        """The window pixel at the centre of tile (y, x)."""
        return (int((x + 0.5) * self.tile_px * self.scale), int((y + 0.5) * self.tile_px * self.scale))


def noop_action(height: int, width: int) -> np.ndarray:
    """The cell-mode WAIT: the no-op cell ``H*W`` (intensity ignored)."""
    return np.array([height * width, 0], np.int64)


def click_to_action(tile: tuple[int, int] | None, owner: np.ndarray, action_mask: np.ndarray, seat: int,
                    intensity: int) -> tuple[np.ndarray, str]:
    """The cell-mode action ``[cell, intensity]`` for a click on ``tile`` and a short message saying why.

    ``owner``: int8 [H, W] (``core`` owner codes); ``action_mask``: the cell-mode mask [H*W + 6]. The click
    snaps to the nearest valid frontier cell owned by the clicked tile's owner (any owner within
    ``WATER_SNAP_TILES`` when water or mountains were clicked); own land, non-neighbours and clicks off the
    map are the no-op ``[H*W, 0]``. Ties go to the lowest cell index, so the mapping is deterministic.
    """
    h, w = owner.shape
    noop = noop_action(h, w)
    if tile is None:
        return noop, ""
    y, x = tile
    valid = np.asarray(action_mask[: h * w], dtype=bool).reshape(h, w)
    clicked = int(owner[y, x])
    yy, xx = np.mgrid[0:h, 0:w]
    dist2 = (yy - y) ** 2 + (xx - x) ** 2
    if clicked == seat:
        return noop, "that is your land"
    if clicked == core.IMPASSABLE:
        candidates = valid & (dist2 <= WATER_SNAP_TILES ** 2)
        what = "the coast"
    else:
        candidates = valid & (owner == clicked)
        what = "neutral land" if clicked == core.NEUTRAL else f"{COLOUR_NAMES[clicked % len(COLOUR_NAMES)]}"
    if not candidates.any():
        if clicked == core.IMPASSABLE:
            return noop, "water: click nearer your border"
        return noop, f"cannot attack {what} now (not beside you, or too few troops)"
    cell = int(np.argmin(np.where(candidates, dist2, np.iinfo(np.int64).max)))
    if not action_mask[h * w + 1 + intensity]:
        return np.array([cell, intensity], np.int64), f"{core.INTENSITY_PERCENT[intensity]}% is too few troops"
    target = int(owner.flat[cell])
    name = "neutral land" if target == core.NEUTRAL else COLOUR_NAMES[target % len(COLOUR_NAMES)]
    return np.array([cell, intensity], np.int64), f"attack {name} with {core.INTENSITY_PERCENT[intensity]}%"


class SeatBot:
    """A scripted bot in the env's learner seat (``--spectate``), deciding on a copy of the state.

    The env's own bots draw from ``state.rng_state`` and use scratch arrays; running this bot on a copy
    leaves them untouched, so the env evolves exactly as if a human had sent the same actions (which is
    what the recording stores and what replay re-sends).
    """

    def __init__(self, name: str, num_players: int, seat: int, height: int, width: int) -> None:
        if name not in bots.BOT_NAMES:
            raise ValueError(f"--seat-bot must be one of {list(bots.BOT_NAMES)}, got {name!r}")
        self.name, self.seat, self.hw = name, seat, height * width
        self.action_mode = "direction" if name == "random" else "cell"
        self.policies = np.full((1, num_players), bots.BOT_NONE, np.int8)
        self.policies[0, seat] = bots.BOT_NAMES.index(name)
        self.actions = np.zeros((1, num_players, 3), np.int64)

    def act(self, state: core.TerritoryState, obs: dict[str, np.ndarray]) -> Any:
        shadow = type(state)(*(np.array(a, copy=True) for a in state))
        bots.bot_actions(shadow, self.policies, self.actions)
        mode, code, intensity = (int(v) for v in self.actions[0, self.seat])
        if self.action_mode == "direction":
            if mode != core.MODE_DIRECTION:
                raise RuntimeError(f"bot {self.name!r} sent a cell action; expected compass directions")
            return code * core.NUM_INTENSITIES + (intensity if code != core.WAIT else 0)
        if mode == core.MODE_CELL:
            return np.array([code, intensity], np.int64)
        if code != core.WAIT:
            raise RuntimeError(f"bot {self.name!r} sent a compass direction; expected cells")
        return np.array([self.hw, 0], np.int64)


class AgentSeat:
    """A registered agent that acts on observations in the learner seat (``--spectate --seat-bot territory/<agent>``,
    e.g. the learned ``territory/ppo-attention``); it plays the direction actions it was trained on."""

    action_mode = "direction"

    def __init__(self, name: str, seed: int) -> None:
        from botarena.agents import make_agent  # envs never import agents at module level

        self.name = name
        self.agent = make_agent(name)
        self.agent.reset(seed)

    def act(self, state: core.TerritoryState, obs: dict[str, np.ndarray]) -> Any:
        return int(self.agent.act(obs))


def seat_player(name: str, num_players: int, seat: int, height: int, width: int, seed: int) -> SeatBot | AgentSeat:
    """``--seat-bot``: a built-in bot by name, or a registered Territory agent (``territory/<agent>``)."""
    if name.startswith(f"{SPEC.name}/"):
        return AgentSeat(name, seed)
    return SeatBot(name, num_players, seat, height, width)


class Autoplayer:
    """Synthetic human input, posted as pygame events: a click on a random frontier cell every
    ``AUTOPLAY_CLICK_EVERY`` decisions and a random number key every ``AUTOPLAY_KEY_EVERY``."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def post(self, pg: Any, step: int, view: MapView, action_mask: np.ndarray) -> None:
        hw = view.height * view.width
        if step % AUTOPLAY_KEY_EVERY == AUTOPLAY_KEY_EVERY - 1:
            key = getattr(pg, f"K_{int(self.rng.integers(2, 5))}")  # 30-60 %: 15 % barely moves
            pg.event.post(pg.event.Event(pg.KEYDOWN, key=key, mod=0, unicode="", scancode=0))
        if step % AUTOPLAY_CLICK_EVERY == 0:
            cells = np.flatnonzero(action_mask[:hw])
            if len(cells):
                cell = int(self.rng.choice(cells))
                pos = view.tile_to_pixel(cell // view.width, cell % view.width)
                pg.event.post(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=pos, button=1))


# ---------------------------------------------------------------------- the game loop
class TerritoryPlay(PlayLoop):
    """Territory in a ``PlayWindow``: decisions every ``1 / fps`` seconds (a WAIT without a click), the window
    refreshed at ``UI_FPS`` so the target outline follows the mouse, the intensity chooser on the status line."""

    unit = "decisions"

    def __init__(self, env: Any, window: PlayWindow, recorder: EpisodeRecorder, args: argparse.Namespace, *,
                 seed: int, seat_bot: SeatBot | AgentSeat | None, obs: dict[str, np.ndarray], frame: np.ndarray,
                 who: str) -> None:
        player = f"bot:{args.seat_bot}" if seat_bot else ("autoplay" if args.autoplay else "human")
        super().__init__(env, window, recorder, game=SPEC.name, player=player, max_steps=args.max_steps,
                         ends_with_game=args.autoplay or args.max_steps is not None)
        self.batch = env.unwrapped.batch
        self.seat, self.who, self.fps = args.seat, who, args.fps
        self.seat_bot = seat_bot
        self.autoplayer = Autoplayer(seed) if args.autoplay else None
        self.input = PlayerInput()
        self.obs, self.frame = obs, frame
        self.view = MapView(self.height, self.width, frame.shape[0] // self.height, window.scale)
        self.message, self.message_until = "", 0
        # A decision is due every `period` seconds; after a pause or a slow frame the clock restarts instead
        # of catching up.
        self.period = 1.0 / args.fps if args.fps > 0 else 0.0
        self.next_decision = time.monotonic()

    @property
    def state(self) -> core.TerritoryState:
        return self.batch.state  # read each time: nothing promises the env keeps one state object

    @property
    def height(self) -> int:
        return self.batch.state.height

    @property
    def width(self) -> int:
        return self.batch.state.width

    @property
    def quit(self) -> bool:
        return self.input.quit

    @property
    def paused(self) -> bool:
        return self.input.paused

    def step_due(self, now: float) -> bool:
        return not self.done and now >= self.next_decision

    def post_synthetic_input(self, now: float, due: bool) -> None:
        if self.autoplayer is not None and due:
            self.autoplayer.post(self.pg, self.steps, self.view, self.obs["action_mask"])

    def handle_event(self, event: Any) -> None:
        self.input.handle_event(event, self.pg, accept_clicks=self.seat_bot is None and not self.done)

    def next_action(self) -> Any:
        if self.seat_bot is not None:
            return self.seat_bot.act(self.state, self.obs)
        if self.input.clicks:
            tile = self.view.pixel_to_tile(*self.input.clicks.popleft())
            action, self.message = click_to_action(tile, self.state.owner[0], self.obs["action_mask"], self.seat,
                                                   self.input.intensity)
            self.message_until = self.steps + MESSAGE_DECISIONS
            return action
        return noop_action(self.height, self.width)

    def after_step(self, now: float) -> None:
        self.frame = self.env.render()
        self.next_decision = max(self.next_decision + self.period, now)

    def while_paused(self, now: float) -> None:
        self.next_decision = now

    def wait(self) -> None:
        if self.period or self.paused or self.done:
            self.window.tick(max(UI_FPS, self.fps))

    def draw(self) -> None:
        if self.steps > self.message_until:
            self.message = ""
        self.window.blit_frame(self.frame)
        target = self._hover_target()
        if target is not None:
            self._outline_tile(target)
        self._draw_status()
        self.window.flip()

    def summary(self) -> str:
        place = int(self.info.get("placement", 0))
        return f"placement {place} of {self.state.num_players}" if place else f"{int(self.info.get('tiles', 0))} tiles"

    def _hover_target(self) -> int | None:
        """The cell a click at the mouse would attack, while a human plays and the mouse is over the map."""
        if self.seat_bot is not None or self.done or not self.pg.mouse.get_focused():
            return None
        tile = self.view.pixel_to_tile(*self.pg.mouse.get_pos())
        if tile is None:
            return None
        hover, _ = click_to_action(tile, self.state.owner[0], self.obs["action_mask"], self.seat, self.input.intensity)
        return int(hover[0]) if hover[0] < self.height * self.width else None

    def _outline_tile(self, cell: int) -> None:
        pg, v = self.pg, self.view
        side = max(int(v.tile_px * v.scale), 4)
        px, py = v.tile_to_pixel(*divmod(cell, v.width))
        rect = pg.Rect(px - side // 2 - 2, py - side // 2 - 2, side + 4, side + 4)
        pg.draw.rect(self.window.surface, (255, 255, 255), rect, 2)
        pg.draw.rect(self.window.surface, (20, 20, 20), rect.inflate(4, 4), 1)

    def _draw_status(self) -> None:
        """Your colour and name, the intensity chooser (when you play), your figures, then a hint or message."""
        pg, window, surface, state, seat = self.pg, self.window, self.window.surface, self.state, self.seat
        top = window.begin_status()
        colour = tuple(int(c) for c in render.PLAYER_COLOURS[seat % len(render.PLAYER_COLOURS)])
        pg.draw.rect(surface, colour, (8, top + 8, 18, 18))
        pg.draw.rect(surface, (240, 240, 240), (8, top + 8, 18, 18), 1)
        x = window.status_text(self.who, 32) + 14
        if self.seat_bot is None:
            x = window.status_text("attack", x, STATUS.hint) + 6
            for k, pct in enumerate(core.INTENSITY_PERCENT.tolist()):
                box = pg.Rect(x, top + 6, 30, 22)
                chosen = k == self.input.intensity
                pg.draw.rect(surface, colour if chosen else (48, 52, 60), box)
                pg.draw.rect(surface, (235, 235, 235) if chosen else (90, 94, 104), box, 1)
                label = window.small_font.render(f"{pct}%", True, (255, 255, 255) if chosen else STATUS.hint)
                surface.blit(label, label.get_rect(center=box.center))
                x += 32
            x += 12
        places = np.zeros(state.num_players, np.int64)
        core.placements(state, 0, places)
        if state.alive[0, seat]:
            stats = (f"tiles {int(state.tiles[0, seat])}  troops {render.format_troops(int(state.troops[0, seat]))}  "
                     f"rank {int(places[seat])}/{state.num_players}")
        else:
            stats = "eliminated"
        x = window.status_text(stats, x) + 14
        window.status_right(*self._hint(places), after=x)

    def _hint(self, places: np.ndarray) -> tuple[str, bool]:
        """The right end of the status line and whether it is an alert."""
        if self.done:
            place = int(self.info.get("placement", 0)) or int(places[self.seat])
            return f"game over: place {place} of {self.state.num_players} - Esc quits", True
        if self.paused:
            return "PAUSED - space resumes", True
        if self.message:
            return f"last click: {self.message}", False  # the bar shows the share the next click will send
        return f"decision {self.steps}   space pause   Esc quit", False


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"botarena play {SPEC.name}",
        description="Play Territory against scripted bots (click to attack, 1-5 intensity, space pause, "
                    "Esc quit), or --spectate a game of bots. Every game is recorded for `botarena replay`.",
    )
    p.add_argument("--seat", type=int, default=0, help="your seat (player index, default 0)")
    p.add_argument("--opponents", default="mixed",
                   help=f"'mixed' or one of {', '.join(bots.BOT_NAMES)} (default mixed)")
    p.add_argument("--preset", choices=("duel", "standard", "large"), default="standard",
                   help="map size and players: duel 64x64/2, standard 128x128/5, large 256x256/8")
    add_session_args(p, SPEC.name, unit="decisions", fps=8.0)
    p.add_argument("--spectate", action="store_true", help="watch bots only (the seat is played by --seat-bot)")
    p.add_argument("--seat-bot", default="expander",
                   help="who plays your seat with --spectate: a built-in bot (default expander) or a registered "
                        "Territory agent, e.g. territory/ppo-attention")
    p.add_argument("--autoplay", action="store_true",
                   help="synthetic clicks and keys instead of a human (tests, screenshots); ends with the game")
    p.add_argument("--scale", type=float, default=None, help="window scale (default: fit the screen)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import gymnasium as gym  # the ids are registered: importing GAMES imported botarena.envs

    seed = session_seed(args)
    height, width, num_players, _ = _dims(args.preset)
    check_int(f"--seat (preset {args.preset!r})", args.seat, 0, num_players - 1)
    seat_bot = seat_player(args.seat_bot, num_players, args.seat, height, width, seed) if args.spectate else None
    env_kwargs = {
        "preset": args.preset, "opponents": args.opponents, "learner_seat": args.seat,
        "action_mode": seat_bot.action_mode if seat_bot else "cell",
    }
    env = gym.make(ENV_ID, render_mode="rgb_array", **env_kwargs)
    obs, _ = env.reset(seed=seed)
    recorder = EpisodeRecorder(seed=seed, env_kwargs=env_kwargs, env_id=ENV_ID, info_keys=INFO_KEYS)
    colour = COLOUR_NAMES[args.seat % len(COLOUR_NAMES)]
    who = f"{colour} = {args.seat_bot}" if seat_bot else f"you are {colour}"
    frame = env.render()
    window = PlayWindow(f"botarena {game_title(SPEC)} ({who}, seed {seed})", frame.shape, args.scale, STATUS,
                        scale_range=(0.1, 8.0), enlarge=True)
    game = TerritoryPlay(env, window, recorder, args, seed=seed, seat_bot=seat_bot, obs=obs, frame=frame, who=who)
    return game.play(screenshot=args.screenshot, record=args.record)


def _dims(preset: str) -> tuple[int, int, int, Any]:
    from .env import resolve_dims

    return resolve_dims(preset, None, None, None)
