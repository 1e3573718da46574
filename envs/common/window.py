"""A pygame window that shows NumPy frames; pygame is imported only when a window opens.

Games draw their frames with NumPy (so ``rgb_array`` works headless and fast); ``render_mode="human"`` just
blits those frames here (``FrameWindow``). Interactive play builds on the same window:
``botarena.envs.common.play.PlayWindow`` adds a status line, the input events and screenshots.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FrameWindow", "import_pygame", "frame_surface"]


def import_pygame() -> Any:
    """Import pygame, or explain how to get it."""
    try:
        import pygame
    except ImportError as err:  # pragma: no cover - pygame is a core dependency
        raise ImportError(
            "pygame is not installed; run `pip install pygame` (or `pip install botarena`) to open a window"
        ) from err
    return pygame


def frame_surface(pg: Any, frame: np.ndarray, size: tuple[int, int]) -> Any:
    """A ``[H, W, 3]`` uint8 frame as a pygame surface of ``size`` (width, height).

    Enlarging repeats pixels, so tiles and the pixel font stay sharp; shrinking averages them (smooth scaling),
    so thin lines and small text do not vanish between the rows that nearest-neighbour sampling would keep.
    """
    # pygame surfaces are indexed [x, y]: swap the axes of the [y, x] frame.
    image = pg.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
    if image.get_size() == size:
        return image
    shrinking = size[0] < image.get_width() or size[1] < image.get_height()
    return (pg.transform.smoothscale if shrinking else pg.transform.scale)(image, size)


class FrameWindow:
    """Shows ``[H, W, 3]`` uint8 frames at up to ``fps`` frames per second, scaled by ``scale``."""

    def __init__(self, title: str = "botarena", fps: float = 30, scale: float = 1.0) -> None:
        self.pygame = import_pygame()
        self.title = title
        self.fps = fps
        self.scale = scale
        self.surface: Any = None
        self.clock: Any = None
        self.closed_by_user = False

    def open(self, size: tuple[int, int]) -> None:
        """Open the window with a drawing area of ``size`` (width, height) pixels."""
        pg = self.pygame
        pg.init()
        pg.display.set_caption(self.title)
        self.surface = pg.display.set_mode(size)
        self.clock = pg.time.Clock()

    def blit_frame(self, frame: np.ndarray, size: tuple[int, int]) -> None:
        """Draw ``frame`` scaled to ``size`` at the window's top-left corner (shown at the next flip)."""
        self.surface.blit(frame_surface(self.pygame, frame, size), (0, 0))

    def show(self, frame: np.ndarray) -> None:
        """Show one frame (opening the window on the first), then wait out the rest of the frame's time."""
        pg = self.pygame
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frame must be uint8 [H, W, 3], got {frame.dtype} {frame.shape}")
        size = (int(frame.shape[1] * self.scale), int(frame.shape[0] * self.scale))
        if self.surface is None:
            self.open(size)
        self.blit_frame(frame, size)
        for event in pg.event.get(pg.QUIT):
            if event.type == pg.QUIT:
                self.closed_by_user = True
        pg.display.flip()
        self.clock.tick(self.fps)

    def close(self) -> None:
        if self.surface is not None:
            self.pygame.display.quit()
            self.surface = None
