"""Play ClickArena by hand in a pygame window at 60 FPS, or watch a bot play (``botarena play click_arena``).

Controls (DarkOrbit's)
----------------------
=========================  ==============================================================================
input                      effect
=========================  ==============================================================================
mouse                      moves the in-game cursor (the system cursor is hidden over the window)
left click on an alien     locks it (a red ring); on a box: fly there and collect it; on space: fly there
space or Ctrl (held)       attack key: the laser fires at the locked target once a second while in range
P                          pause / resume
Esc, closing the window    quit (the game so far is saved)
=========================  ==============================================================================

One frame of the game is one env step, 60 per second (``--fps``). Each frame the mouse position becomes the
commanded cursor point (``cursor_x, cursor_y`` = window position / window size), the left button state
becomes ``click`` and the attack keys ``attack``: exactly the action space a learner uses, so the in-game
cursor obeys the same speed limit (``--cursor teleport`` lifts it) and a recorded human game is a
demonstration in the expert's format. The window shows the env's own ``rgb_array`` frame (HUD and minimap
included) with a status line beneath.

Spectating, autoplay and recording
----------------------------------
``--spectate BOT`` (``expert``, ``aimbot``, ``random``) lets a scripted bot fly the ship; it decides on its
own bot state (seeded apart from the env), so the env evolves exactly as if a human had sent the same
actions. ``--spectate click_arena/<agent>`` seats a registered agent that acts on observations (a learned one,
e.g. ``click_arena/hierarchical``); when it reports its decisions (``decisions()``), each level's current one
is drawn on the frame: the strategist's mode and confidence, a ring on the tactician's target (a cross for a
point on the map) and a dot at the executor's commanded cursor point.

``--autoplay`` drives the *human input path* headless: the expert's decisions are posted as pygame mouse and
key events, so tests and ``--screenshot`` exercise the same code a person does.

Every game is recorded (``EpisodeRecorder``: the env id, the env keyword arguments, the seed and every
action) to ``--record`` (default ``runs/replays/click_arena-<time>.npz``);
``botarena replay PATH --render`` re-simulates it and checks every reward.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

from botarena.envs import GAMES
from botarena.envs.common import draw
from botarena.envs.common.play import PlayLoop, PlayWindow, StatusStyle, add_session_args, game_title, session_seed
from botarena.envs.common.recording import EpisodeRecorder

from . import bots, core

SPEC = GAMES["click_arena"]
ENV_ID = SPEC.env_id
STATUS = StatusStyle(height=30, background=(12, 16, 28), rule=(60, 70, 100), text=(220, 225, 235),
                     hint=(160, 170, 190))
INFO_KEYS = ("credits", "kills")
DECISION_COLOUR = (120, 255, 160)  # a learned agent's decisions drawn over the frame
AIM_COLOUR = (255, 220, 90)


# ---------------------------------------------------------------------- input (no display needed)
@dataclass
class PlayerInput:
    """The mouse and keys as the events left them: position in window pixels, button, attack keys."""

    x: float = 0.0
    y: float = 0.0
    button: bool = False
    attack_keys: int = 0
    paused: bool = False
    quit: bool = False

    def handle_event(self, event: Any, pg: Any) -> None:
        if event.type == pg.QUIT:
            self.quit = True
        elif event.type == pg.MOUSEMOTION:
            self.x, self.y = (float(v) for v in event.pos)
        elif event.type == pg.MOUSEBUTTONDOWN and event.button == 1:
            self.x, self.y = (float(v) for v in event.pos)
            self.button = True
        elif event.type == pg.MOUSEBUTTONUP and event.button == 1:
            self.button = False
        elif event.type == pg.KEYDOWN:
            if event.key == pg.K_ESCAPE:
                self.quit = True
            elif event.key == pg.K_p:
                self.paused = not self.paused
            elif event.key in attack_keys(pg):
                self.attack_keys |= 1 << attack_keys(pg).index(event.key)
        elif event.type == pg.KEYUP and event.key in attack_keys(pg):
            self.attack_keys &= ~(1 << attack_keys(pg).index(event.key))

    def action(self, scale: float) -> np.ndarray:
        """The env action for this frame: cursor = mouse / window size, click = left button, attack = keys."""
        x = min(max(self.x / (core.VIEW_W * scale), 0.0), 1.0)
        y = min(max(self.y / (core.VIEW_H * scale), 0.0), 1.0)
        return np.array([x, y, float(self.button), float(self.attack_keys != 0)], np.float32)


def attack_keys(pg: Any) -> tuple[int, ...]:
    return (pg.K_SPACE, pg.K_LCTRL, pg.K_RCTRL)


class SeatBot:
    """A scripted bot flying the ship (``--spectate``), with its own bot state seeded apart from the env."""

    def __init__(self, name: str, state: core.ArenaState) -> None:
        if name not in bots.BOT_NAMES:
            raise ValueError(f"--spectate must be one of {list(bots.BOT_NAMES)}, got {name!r}")
        self.name = name
        self.bot_state = bots.BotState.allocate(1)
        # reset_bots draws the bot's RNG words from the state's RNG: give it a copy, so the env's is untouched
        bots.reset_bots(state.copy(), self.bot_state, np.ones(1, np.uint8))
        self.policies = bots.policy_ids({0: name}, 1)
        self.actions = np.zeros((1, core.MAX_SHIPS, 4), np.float32)
        self.one = np.ones(1, np.uint8)

    def act(self, state: core.ArenaState) -> np.ndarray:
        bots.bot_actions(state, self.bot_state, self.policies, self.actions, self.one)
        return self.actions[0, 0].copy()

    def mode(self) -> str:
        return bots.MODE_NAMES[int(self.bot_state.mode[0, 0])] if self.name != "random" else "random"


class AgentSeat:
    """A registered agent that acts on observations flying the ship (``--spectate click_arena/<agent>``)."""

    def __init__(self, name: str, seed: int) -> None:
        from botarena.agents import make_agent  # envs never import agents at module level

        self.name = name
        self.agent = make_agent(name)
        self.agent.reset(seed)
        self.last_action = np.zeros(4, np.float32)

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        self.last_action = np.asarray(self.agent.act(obs), np.float32)
        return self.last_action

    def decisions(self) -> dict[str, Any]:
        decisions = getattr(self.agent, "decisions", None)
        return decisions() if decisions is not None else {}

    def mode(self) -> str:
        decided = self.decisions()
        if "mode" not in decided:
            return self.name
        return f"{bots.MODE_NAMES[decided['mode']]} ({decided.get('confidence', 1.0):.0%})"

    def overlay(self, frame: np.ndarray) -> np.ndarray:
        """The frame with the levels' decisions drawn on it (a copy)."""
        decided = self.decisions()
        if "target_xy" not in decided:
            return frame
        frame = frame.copy()
        tx, ty = decided["target_xy"][0] * core.VIEW_W, decided["target_xy"][1] * core.VIEW_H
        if decided["target_slot"] > 0:
            draw.stroke_circle(frame, tx, ty, 34.0, 2.0, *DECISION_COLOUR)
        else:
            draw.stroke_line(frame, tx - 10, ty - 10, tx + 10, ty + 10, *DECISION_COLOUR, 2)
            draw.stroke_line(frame, tx - 10, ty + 10, tx + 10, ty - 10, *DECISION_COLOUR, 2)
        ax, ay = self.last_action[0] * core.VIEW_W, self.last_action[1] * core.VIEW_H
        draw.fill_disc(frame, ax, ay, 4.0, AIM_COLOUR)
        label = f"MODE {self.mode().upper()}"
        draw.fill_rect(frame, 8, 60, 8 * len(label) + 8, 18, (12, 16, 28))  # below the HUD's bars
        draw.draw_text(frame, 12, 64, label, DECISION_COLOUR)
        return frame


class Autoplayer:
    """Synthetic human input: the expert's decision each frame, posted as pygame mouse and key events."""

    def __init__(self, state: core.ArenaState) -> None:
        self.bot = SeatBot("expert", state)
        self.button = False
        self.attack = False

    def post(self, pg: Any, state: core.ArenaState, scale: float) -> None:
        a = self.bot.act(state)
        pos = (int(round(a[0] * core.VIEW_W * scale)), int(round(a[1] * core.VIEW_H * scale)))
        pg.event.post(pg.event.Event(pg.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(int(self.button), 0, 0)))
        press = bool(a[2] > 0.5)
        if press != self.button:
            kind = pg.MOUSEBUTTONDOWN if press else pg.MOUSEBUTTONUP
            pg.event.post(pg.event.Event(kind, pos=pos, button=1))
            self.button = press
        attack = bool(a[3] > 0.5)
        if attack != self.attack:
            kind = pg.KEYDOWN if attack else pg.KEYUP
            pg.event.post(pg.event.Event(kind, key=pg.K_SPACE, mod=0, unicode=" ", scancode=44))
            self.attack = attack


# ---------------------------------------------------------------------- the game loop
class ClickArenaPlay(PlayLoop):
    """ClickArena in a ``PlayWindow``: one env step per frame, the mouse and keys read every frame."""

    unit = "frames"

    def __init__(self, env: Any, window: PlayWindow, recorder: EpisodeRecorder, args: argparse.Namespace, *,
                 seat_bot: SeatBot | AgentSeat | None, autoplayer: Autoplayer | None, who: str,
                 obs: dict[str, np.ndarray]) -> None:
        player = f"bot:{args.spectate}" if seat_bot else ("autoplay" if autoplayer else "human")
        super().__init__(env, window, recorder, game=SPEC.name, player=player, max_steps=args.max_steps,
                         ends_with_game=seat_bot is not None or autoplayer is not None or args.max_steps is not None)
        self.obs = obs
        self.batch = env.unwrapped.batch
        self.seat_bot, self.autoplayer, self.who, self.fps = seat_bot, autoplayer, who, args.fps
        self.input = PlayerInput(x=core.VIEW_W * 0.5 * window.scale, y=core.VIEW_H * 0.5 * window.scale)
        self.frame = env.render()

    @property
    def quit(self) -> bool:
        return self.input.quit

    @property
    def paused(self) -> bool:
        return self.input.paused

    def post_synthetic_input(self, now: float, due: bool) -> None:
        if self.autoplayer is not None and due:
            self.autoplayer.post(self.pg, self.batch.state, self.window.scale)

    def handle_event(self, event: Any) -> None:
        self.input.handle_event(event, self.pg)

    def next_action(self) -> np.ndarray:
        if isinstance(self.seat_bot, AgentSeat):
            return self.seat_bot.act(self.obs)
        if self.seat_bot is not None:
            return self.seat_bot.act(self.batch.state)
        return self.input.action(self.window.scale)

    def after_step(self, now: float) -> None:
        self.frame = self.env.render()
        if isinstance(self.seat_bot, AgentSeat):
            self.frame = self.seat_bot.overlay(self.frame)

    def wait(self) -> None:
        if self.fps > 0:
            self.window.tick(self.fps)

    def draw(self) -> None:
        left, right, alert = _status(self.batch.state, self.steps, self.seat_bot, self.done, self.terminated,
                                     self.paused)
        self.window.draw(self.frame, f"{self.who}  |  {left}", right, alert)

    def summary(self) -> str:
        return (f"{int(self.info.get('kills', 0))} kills, {int(self.info.get('credits', 0))} credits, "
                f"return {self.total_reward:.2f}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"botarena play {SPEC.name}",
        description="Play ClickArena with the mouse (click aliens to lock, boxes to collect, space to fly; hold "
                    "space or Ctrl to fire; P pause; Esc quit), or --spectate a bot. Every game is recorded "
                    "for `botarena replay`.",
    )
    p.add_argument("--difficulty", choices=core.DIFFICULTIES, default="standard", help="default standard")
    p.add_argument("--cursor", choices=("human", "teleport"), default="human",
                   help="in-game cursor: 'human' follows the mouse at a bounded speed (default), 'teleport'")
    add_session_args(p, SPEC.name, unit="frames", fps=60.0)
    p.add_argument("--spectate", default=None, metavar="BOT",
                   help=f"watch a bot play: {', '.join(bots.BOT_NAMES)}, or a registered agent click_arena/<name>")
    p.add_argument("--autoplay", action="store_true",
                   help="synthetic mouse and key events from the expert instead of a human (tests, screenshots)")
    p.add_argument("--scale", type=float, default=None, help="window scale (default: 1, or fit the screen)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import gymnasium as gym  # the ids are registered: importing GAMES imported botarena.envs

    seed = session_seed(args)
    learned = args.spectate is not None and args.spectate.startswith(f"{SPEC.name}/")
    if args.spectate is not None and not learned and args.spectate not in bots.BOT_NAMES:
        raise ValueError(f"--spectate must be one of {list(bots.BOT_NAMES)} or a registered agent "
                         f"{SPEC.name}/<name>, got {args.spectate!r}")
    env_kwargs = {"difficulty": args.difficulty, "cursor": args.cursor}
    env = gym.make(ENV_ID, render_mode="rgb_array", **env_kwargs)
    obs, _ = env.reset(seed=seed)
    state = env.unwrapped.batch.state
    if learned:
        seat_bot: SeatBot | AgentSeat | None = AgentSeat(args.spectate, seed)
    else:
        seat_bot = SeatBot(args.spectate, state) if args.spectate else None
    autoplayer = Autoplayer(state) if args.autoplay and seat_bot is None else None
    who = f"bot: {args.spectate}" if seat_bot else ("autoplay" if autoplayer else "you")
    recorder = EpisodeRecorder(seed=seed, env_kwargs=env_kwargs, env_id=ENV_ID, info_keys=INFO_KEYS)
    frame_shape = (int(core.VIEW_H), int(core.VIEW_W))
    window = PlayWindow(f"botarena {game_title(SPEC)} ({who}, seed {seed})", frame_shape, args.scale, STATUS)
    if seat_bot is None and autoplayer is None:
        window.pygame.mouse.set_visible(False)  # the in-game cursor is the cursor
    game = ClickArenaPlay(env, window, recorder, args, seat_bot=seat_bot, autoplayer=autoplayer, who=who, obs=obs)
    return game.play(screenshot=args.screenshot, record=args.record)


def _status(s: core.ArenaState, steps: int, seat_bot: SeatBot | AgentSeat | None, done: bool,
            terminated: bool, paused: bool) -> tuple[str, str, bool]:
    secs = steps // core.FPS
    left = (f"hull {int(s.ship_hull[0, 0]):,}  shield {int(s.ship_shield[0, 0]):,}  "
            f"credits {int(s.ship_credits[0, 0]):,}  kills {int(s.ship_kills[0, 0])}  "
            f"{secs // 60}:{secs % 60:02d}")
    if seat_bot is not None and not done:
        left += f"  mode {seat_bot.mode()}"
    if done:
        return left, ("ship destroyed" if terminated else "time is up") + " - Esc quits", True
    if paused:
        return left, "PAUSED - P resumes", True
    return left, "space: fire  P: pause  Esc: quit", False
