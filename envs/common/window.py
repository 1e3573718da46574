"""A pygame window that shows NumPy frames; pygame is imported only when a window opens.

Games draw their frames with NumPy (so ``rgb_array`` works headless and fast); ``render_mode="human"``
just blits those frames here. Interactive play (``play.py``) uses the same window and reads its events.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FrameWindow", "import_pygame"]


def import_pygame() -> Any:
    """Import pygame, or explain how to get it."""
    try:
        import pygame
    except ImportError as err:  # pragma: no cover - pygame is a core dependency
        raise ImportError(
            "pygame is not installed; run `pip install pygame` (or `pip install botarena`) to open a window"
        ) from err
    return pygame


class FrameWindow:
    """Shows ``[H, W, 3]`` uint8 frames at up to ``fps`` frames per second, scaled by ``scale``."""

    def __init__(self, title: str = "botarena", fps: float = 30, scale: float = 1.0) -> None:
        self.pygame = import_pygame()
        self.title = title
        self.fps = fps
        self.scale = scale
        self._surface: Any = None
        self._clock: Any = None
        self.closed_by_user = False

    def show(self, frame: np.ndarray) -> None:
        pg = self.pygame
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frame must be uint8 [H, W, 3], got {frame.dtype} {frame.shape}")
        height, width = frame.shape[0], frame.shape[1]
        size = (int(width * self.scale), int(height * self.scale))
        if self._surface is None:
            pg.init()
            pg.display.set_caption(self.title)
            self._surface = pg.display.set_mode(size)
            self._clock = pg.time.Clock()
        # pygame surfaces are indexed [x, y]: swap the axes of the [y, x] frame.
        image = pg.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        if image.get_size() != size:
            image = pg.transform.scale(image, size)
        self._surface.blit(image, (0, 0))
        for event in pg.event.get(pg.QUIT):
            if event.type == pg.QUIT:
                self.closed_by_user = True
        pg.display.flip()
        self._clock.tick(self.fps)

    def close(self) -> None:
        if self._surface is not None:
            self.pygame.display.quit()
            self._surface = None
