"""What every game's ``botarena play`` shares: the session options, the window and the loop that plays it.

A game's ``play.py`` keeps only what is its own: its options (preset, difficulty, who plays), how pygame input
becomes its action, its synthetic player (``--autoplay``) and its status text. The rest is here:

- ``add_session_args`` / ``session_seed``: ``--seed``, ``--fps``, ``--record``, ``--max-steps``, ``--screenshot``,
  spelled and checked the same way in every game;
- ``PlayWindow``: the pygame window (the env's ``rgb_array`` frame scaled to fit the screen, a status line
  beneath it, input events, screenshots);
- ``PlayLoop``: the loop (read input, step when a step is due and the game is not paused, draw, pace) with
  ``--max-steps``, the end of the episode and quitting handled alike, then the recording saved for
  ``botarena replay``. A game subclasses it and fills in the hooks marked "a game's own".
"""

from __future__ import annotations

import argparse
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .recording import EpisodeRecorder
from .validation import check_int
from .window import FrameWindow

__all__ = ["add_session_args", "session_seed", "save_recording", "game_title", "StatusStyle", "PlayWindow", "PlayLoop"]

FALLBACK_SCREEN = (1280, 900)  # when the display cannot tell its size (dummy video driver)
SCREEN_USE = (0.96, 0.92)  # the share of the screen's width and height a fitted window may take
ALERT = (255, 210, 80)  # status text that needs the player's eye: pause, the end of the game
STATUS_MARGIN = 8
FONT_SIZE, SMALL_FONT_SIZE = 22, 18


# ---------------------------------------------------------------------- session options
def add_session_args(parser: argparse.ArgumentParser, game: str, *, unit: str, fps: float | None,
                     max_steps_aliases: tuple[str, ...] = ()) -> None:
    """``--seed``, ``--fps``, ``--record``, ``--max-steps`` and ``--screenshot``; ``unit`` names one step
    ("frames", "decisions") and ``fps`` is the default pace in those units per second (``None``: the game
    keeps its own clock and has no ``--fps``). ``max_steps_aliases``: other spellings of ``--max-steps``."""
    parser.add_argument("--seed", type=int, default=None, help="game seed (default: from the clock)")
    if fps is not None:
        parser.add_argument("--fps", type=float, default=fps,
                            help=f"{unit} per second (default {fps:g}; 0 = unthrottled)")
    parser.add_argument("--record", type=Path, default=None,
                        help=f"where to save the recording (default runs/replays/{game}-<time>.npz)")
    parser.add_argument("--max-steps", *max_steps_aliases, dest="max_steps", type=int, default=None,
                        help=f"stop after this many {unit}")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="save the window as an image when the game ends")


def session_seed(args: argparse.Namespace) -> int:
    """Check the session options; the game's seed (``--seed``, else one from the clock)."""
    fps = getattr(args, "fps", 0.0)
    if fps < 0:
        raise ValueError(f"--fps must be >= 0, got {fps}")
    if args.max_steps is not None:
        check_int("--max-steps", args.max_steps, 1)
    return args.seed if args.seed is not None else int(time.time()) % 1_000_000


def game_title(spec: Any) -> str:
    """A game's name for window titles, from its ``GameSpec`` id: "botarena/TickDuel-v1" -> "TickDuel"."""
    return spec.env_id.split("/")[-1].rsplit("-v", 1)[0]


def save_recording(recording: Any, record: Path | None, game: str) -> Path:
    """Save an ``EpisodeRecording`` to ``record`` (default ``runs/replays/<game>-<time>.npz``); its path."""
    path = record or Path("runs/replays") / f"{game}-{time.strftime('%Y%m%d-%H%M%S')}.npz"
    recording.save(path)
    return path


# ---------------------------------------------------------------------- the window
@dataclass(frozen=True)
class StatusStyle:
    """The look of a game's status line: its height and colours (``rule``: a line along its top, or none)."""

    height: int = 30
    background: tuple[int, int, int] = (24, 22, 18)
    rule: tuple[int, int, int] | None = None
    text: tuple[int, int, int] = (230, 230, 230)
    hint: tuple[int, int, int] = (170, 170, 170)


class PlayWindow(FrameWindow):
    """The window of ``botarena play``: the env frame, scaled, above a status line.

    ``scale=None`` fits the window to the screen: shrunk when the frame is too big, and with ``enlarge=True``
    grown by whole numbers (every tile stays the same size), else shown 1:1. An explicit ``scale`` must lie in
    ``scale_range``.
    """

    def __init__(self, title: str, frame_shape: tuple[int, ...], scale: float | None, style: StatusStyle, *,
                 scale_range: tuple[float, float] = (0.25, 4.0), enlarge: bool = False) -> None:
        super().__init__(title)
        pg = self.pygame
        pg.init()
        frame_h, frame_w = frame_shape[0], frame_shape[1]
        if scale is None:
            scale = self._fit_scale(frame_w, frame_h, style.height, enlarge)
        low, high = scale_range
        if not low <= scale <= high:
            raise ValueError(f"--scale must be in [{low:g}, {high:g}], got {scale}")
        self.scale = float(scale)
        self.style = style
        self.frame_size = (int(frame_w * scale), int(frame_h * scale))
        self.open((self.frame_size[0], self.frame_size[1] + style.height))
        self.font = pg.font.Font(None, FONT_SIZE)
        self.small_font = pg.font.Font(None, SMALL_FONT_SIZE)

    def _fit_scale(self, frame_w: int, frame_h: int, status_h: int, enlarge: bool) -> float:
        info = self.pygame.display.Info()
        screen = (info.current_w, info.current_h)
        if screen[0] <= 0 or screen[1] <= 0:
            screen = FALLBACK_SCREEN
        fit = min(SCREEN_USE[0] * screen[0] / frame_w, (SCREEN_USE[1] * screen[1] - status_h) / frame_h)
        if fit < 1:
            return fit
        return float(int(fit)) if enlarge else 1.0

    # ------------------------------------------------------------------ input and pace
    def events(self) -> list[Any]:
        """The pygame events since the last call."""
        return self.pygame.event.get()

    def tick(self, fps: float) -> None:
        """Wait out the rest of a frame at ``fps`` frames per second."""
        self.clock.tick(fps)

    # ------------------------------------------------------------------ drawing
    def draw(self, frame: np.ndarray, left: str, right: str = "", alert: bool = False) -> None:
        """The frame and a status line: ``left`` from the left edge, ``right`` (a hint, or with ``alert`` a
        message such as "PAUSED") right-aligned."""
        self.blit_frame(frame)
        self.begin_status()
        end = self.status_text(left, STATUS_MARGIN) + 2 * STATUS_MARGIN
        self.status_right(right, alert, end)
        self.flip()

    def blit_frame(self, frame: np.ndarray, size: tuple[int, int] | None = None) -> None:
        super().blit_frame(frame, size or self.frame_size)

    def begin_status(self) -> int:
        """Clear the status line; the y of its top."""
        pg, top, width = self.pygame, self.frame_size[1], self.frame_size[0]
        pg.draw.rect(self.surface, self.style.background, (0, top, width, self.style.height))
        if self.style.rule is not None:
            pg.draw.line(self.surface, self.style.rule, (0, top), (width, top))
        return top

    def status_text(self, text: str, x: int, colour: tuple[int, int, int] | None = None, font: Any = None) -> int:
        """``text`` at ``x``, centred on the status line's height; the x after it."""
        label = (font or self.font).render(text, True, colour or self.style.text)
        self.surface.blit(label, (x, self.frame_size[1] + (self.style.height - label.get_height()) // 2))
        return x + label.get_width()

    def status_right(self, text: str, alert: bool, after: int) -> None:
        """``text`` right-aligned on the status line if it fits right of ``after``; when it does not, an alert
        replaces the whole line (the end of the game matters more than the figures) and a hint is left out."""
        if not text:
            return
        label = self.font.render(text, True, ALERT if alert else self.style.hint)
        top, width = self.frame_size[1], self.frame_size[0]
        x = width - label.get_width() - STATUS_MARGIN
        if x < after:
            if not alert:
                return
            self.pygame.draw.rect(self.surface, self.style.background, (0, top + 1, width, self.style.height - 1))
            x = STATUS_MARGIN
        self.surface.blit(label, (x, top + (self.style.height - label.get_height()) // 2))

    def flip(self) -> None:
        self.pygame.display.flip()

    def screenshot(self, path: str | Path) -> Path:
        """Save the whole window (frame and status line) as an image; its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.pygame.image.save(self.surface, str(path))
        return path

    def close(self) -> None:
        if self.surface is not None:
            self.pygame.mouse.set_visible(True)
        super().close()


# ---------------------------------------------------------------------- the loop
class PlayLoop(ABC):
    """One game of ``botarena play`` in a ``PlayWindow``, recorded for ``botarena replay``.

    Each turn: synthetic input is posted (``--autoplay``), the window's events are read, then, when a step is
    due and the game is not paused, the game's action is sent to the env and recorded; the window is drawn and
    the loop waits for its next turn. It ends when the player quits (Esc or closing the window), after
    ``max_steps`` steps, or with the episode when ``ends_with_game`` (a run nobody watches); otherwise a player
    sees the result until they quit.

    A game fills in the hooks marked "a game's own"; ``unit`` names a step in messages.
    """

    unit = "steps"

    def __init__(self, env: Any, window: PlayWindow, recorder: EpisodeRecorder, *, game: str, player: str,
                 max_steps: int | None, ends_with_game: bool) -> None:
        self.env, self.window, self.recorder = env, window, recorder
        self.pg = window.pygame
        self.game, self.player = game, player
        self.max_steps, self.ends_with_game = max_steps, ends_with_game
        self.steps, self.total_reward = 0, 0.0
        self.terminated = self.truncated = False
        self.obs: Any = None
        self.info: dict[str, Any] = {}

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated

    @property
    def out_of_steps(self) -> bool:
        return self.max_steps is not None and self.steps >= self.max_steps

    # ------------------------------------------------------------------ a game's own
    @property
    @abstractmethod
    def quit(self) -> bool:
        """Has the player asked to quit?"""

    @property
    def paused(self) -> bool:
        return False

    def step_due(self, now: float) -> bool:
        """Is a step due at time ``now`` (``time.monotonic``)? By default one step every turn."""
        return not self.done

    def post_synthetic_input(self, now: float, due: bool) -> None:
        """Post ``--autoplay``'s input as pygame events (called each unpaused turn, before events are read)."""
        return None  # an optional hook: nothing by default

    @abstractmethod
    def handle_event(self, event: Any) -> None:
        """Turn one pygame event into the game's input."""

    @abstractmethod
    def next_action(self) -> Any:
        """The action of the step that is due."""

    def after_step(self, now: float) -> None:
        """Called after each step (a new frame to render, a clock to restart)."""
        return None  # an optional hook: nothing by default

    def while_paused(self, now: float) -> None:
        """Called on each paused turn."""
        return None  # an optional hook: nothing by default

    @abstractmethod
    def draw(self) -> None:
        """Draw the window."""

    @abstractmethod
    def wait(self) -> None:
        """Wait for the next turn."""

    def draw_result(self) -> None:
        """Draw the window once more after the loop ends, if the game shows its result differently."""
        return None  # an optional hook: nothing by default

    def summary(self) -> str:
        """How the game went, for the closing message."""
        return f"return {self.total_reward:.2f}"

    def recording_extra(self) -> dict[str, Any]:
        """Fields the recording keeps besides the player and why the game stopped."""
        return {}

    # ------------------------------------------------------------------ shared
    def run(self) -> str:
        """Play until the game stops; why it stopped: "quit", "max_steps" or "episode_end"."""
        stopped_by = "quit"
        while True:
            now = time.monotonic()
            due = self.step_due(now)
            if not self.paused:
                self.post_synthetic_input(now, due)
            for event in self.window.events():
                self.handle_event(event)
            if self.quit:
                break
            if due and not self.paused:
                self.step(self.next_action())
                self.after_step(now)
            elif self.paused:
                self.while_paused(now)
            self.draw()
            if self.out_of_steps:
                stopped_by = "max_steps"
                break
            if self.done and self.ends_with_game:
                break  # non-interactive runs end with the game; a human sees the result until Esc
            self.wait()
        if self.done and stopped_by == "quit":
            stopped_by = "episode_end"
        self.draw_result()
        return stopped_by

    def step(self, action: Any) -> None:
        """Send ``action`` to the env and record it."""
        self.obs, reward, self.terminated, self.truncated, self.info = self.env.step(action)
        self.recorder.record(action, reward, self.info)
        self.total_reward += float(reward)
        self.steps += 1

    def play(self, *, screenshot: Path | None, record: Path | None) -> int:
        """Run the game, save the screenshot and the recording, close the window and the env; the exit code."""
        try:
            stopped_by = self.run()
            if screenshot is not None:
                print(f"screenshot: {self.window.screenshot(screenshot)}")
        finally:
            self.window.close()
            self.env.close()
        if self.steps == 0:
            print(f"no {self.unit} were played; nothing recorded")
            return 0
        extra = {"player": self.player, "stopped_by": stopped_by, **self.recording_extra()}
        recording = self.recorder.finish(terminated=self.terminated, truncated=self.truncated, extra=extra)
        path = save_recording(recording, record, self.game)
        print(f"{self.steps} {self.unit}, {self.summary()}; recording saved to {path}")
        print(f"replay it with: botarena replay {path} --render")
        return 0
