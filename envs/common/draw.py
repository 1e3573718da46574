"""Raster helpers every game's renderer shares: one 3x5 bitmap font, rectangles, discs, rings, lines, bars, text.

Frames are uint8 ``[H, W, 3]`` arrays indexed ``[y, x]``; every helper clips to the frame, so a shape may hang
over an edge. A pixel belongs to a disc or ring when its *centre* (x + 0.5, y + 0.5) does.

Two kinds of caller use them:

- renderers that draw inside a numba kernel (ClickArena draws 480,000 background pixels a frame) call the
  kernels: ``put_pixel``, ``blend_pixel``, ``fill_box``, ``fill_circle``, ``fill_annulus``, ``stroke_circle``,
  ``stroke_line``, ``draw_bar``, ``draw_glyph``, ``draw_number``;
- renderers that draw from Python (Territory, TickDuel) call ``fill_rect``, ``outline_rect``, ``fill_disc`` and
  ``draw_text``. A filled rectangle stays a NumPy slice there (the fastest way to fill one from Python); discs
  and text run on the kernels above, so a disc or a string is drawn by the same routine in every game.

The font has digits, the capitals the renderers use and a little punctuation; a character it lacks is drawn
blank (it still takes its place).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit

__all__ = [
    "GLYPH_W", "GLYPH_H", "GLYPH_ADVANCE", "FONT", "FONT_CHARS", "COLON", "glyph_codes",
    "put_pixel", "blend_pixel", "fill_box", "fill_circle", "fill_annulus", "stroke_circle", "stroke_line",
    "draw_bar", "draw_glyph", "draw_glyphs", "draw_number",
    "fill_rect", "outline_rect", "fill_disc", "draw_text",
]

# ---------------------------------------------------------------------- the font
GLYPH_W, GLYPH_H = 3, 5
GLYPH_ADVANCE = GLYPH_W + 1  # font pixels from one character to the next: the glyph and a blank column

# Each glyph: its five rows, top to bottom, three pixels each. Digits come first, so a digit's code is its value.
_GLYPH_ROWS = {
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"), "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"), "9": ("111", "101", "111", "001", "111"),
    " ": ("000", "000", "000", "000", "000"), ":": ("000", "010", "000", "010", "000"),
    ".": ("000", "000", "000", "000", "010"), "%": ("101", "001", "010", "100", "101"),
    "/": ("001", "001", "010", "100", "100"), "x": ("000", "000", "101", "010", "101"),
    "A": ("010", "101", "111", "101", "101"), "C": ("111", "100", "100", "100", "111"),
    "D": ("110", "101", "101", "101", "110"), "I": ("111", "010", "010", "010", "111"),
    "K": ("101", "110", "100", "110", "101"), "L": ("100", "100", "100", "100", "111"),
    "M": ("101", "111", "111", "101", "101"), "N": ("110", "101", "101", "101", "101"),
    "O": ("111", "101", "101", "101", "111"), "P": ("110", "101", "110", "100", "100"),
    "R": ("110", "101", "110", "101", "101"), "S": ("111", "100", "111", "001", "111"),
    "T": ("111", "010", "010", "010", "010"),
    # Appended (codes above are fixed: frames drawn before stay the same): the rest of the capitals.
    "B": ("110", "101", "110", "101", "110"), "E": ("111", "100", "110", "100", "111"),
    "F": ("111", "100", "110", "100", "100"), "G": ("111", "100", "101", "101", "111"),
    "H": ("101", "101", "111", "101", "101"), "J": ("001", "001", "001", "101", "111"),
    "Q": ("111", "101", "101", "111", "001"), "U": ("101", "101", "101", "101", "111"),
    "V": ("101", "101", "101", "101", "010"), "W": ("101", "101", "111", "111", "101"),
    "X": ("101", "101", "010", "101", "101"), "Y": ("101", "101", "010", "010", "010"),
    "Z": ("111", "001", "010", "100", "111"),
}
FONT_CHARS = "".join(_GLYPH_ROWS)
FONT = np.array([[[int(bit) for bit in row] for row in rows] for rows in _GLYPH_ROWS.values()],
                np.uint8)  # [glyph, row, column], 1 = ink
COLON = FONT_CHARS.index(":")
_BLANK = FONT_CHARS.index(" ")
_CODE = {ch: code for code, ch in enumerate(FONT_CHARS)}


def glyph_codes(text: str) -> np.ndarray:
    """The font codes of ``text`` (int64), blank for a character the font lacks."""
    return np.array([_CODE.get(ch, _BLANK) for ch in text], np.int64)


# ---------------------------------------------------------------------- kernels (callable inside numba code)
@njit(cache=True, nogil=True, inline="always")
def put_pixel(img: np.ndarray, y: int, x: int, r: int, g: int, b: int) -> None:
    """Set pixel (y, x) if it lies in the frame."""
    if 0 <= y < img.shape[0] and 0 <= x < img.shape[1]:
        img[y, x, 0] = r
        img[y, x, 1] = g
        img[y, x, 2] = b


@njit(cache=True, nogil=True)
def blend_pixel(img: np.ndarray, y: int, x: int, r: int, g: int, b: int, alpha: float) -> None:
    """Mix colour (r, g, b) into pixel (y, x) with weight ``alpha`` (truncated to whole levels)."""
    if 0 <= y < img.shape[0] and 0 <= x < img.shape[1]:
        img[y, x, 0] = int(img[y, x, 0] * (1 - alpha) + r * alpha)
        img[y, x, 1] = int(img[y, x, 1] * (1 - alpha) + g * alpha)
        img[y, x, 2] = int(img[y, x, 2] * (1 - alpha) + b * alpha)


@njit(cache=True, nogil=True)
def fill_box(img: np.ndarray, x: int, y: int, w: int, h: int, r: int, g: int, b: int) -> None:
    """Fill the ``w`` x ``h`` pixel box whose top-left pixel is (x, y)."""
    for py in range(max(y, 0), min(y + h, img.shape[0])):
        for px in range(max(x, 0), min(x + w, img.shape[1])):
            img[py, px, 0] = r
            img[py, px, 1] = g
            img[py, px, 2] = b


@njit(cache=True, nogil=True)
def fill_annulus(img: np.ndarray, cx: float, cy: float, outer_sq: float, inner_sq: float, r: int, g: int,
                 b: int) -> None:
    """Fill the pixels whose squared distance d2 from (cx, cy) has ``inner_sq <= d2 <= outer_sq``.

    Taking squared radii lets a caller square its radius in its own precision (TickDuel's special orb has a
    float32 radius), so the pixels are exactly those its own comparison chose.
    """
    reach = math.sqrt(outer_sq) + 2.0  # the box only has to hold every candidate pixel; the test decides
    for y in range(max(int(cy - reach), 0), min(int(cy + reach) + 1, img.shape[0])):
        for x in range(max(int(cx - reach), 0), min(int(cx + reach) + 1, img.shape[1])):
            d2 = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2
            if inner_sq <= d2 <= outer_sq:
                img[y, x, 0] = r
                img[y, x, 1] = g
                img[y, x, 2] = b


@njit(cache=True, nogil=True)
def fill_circle(img: np.ndarray, cx: float, cy: float, radius: float, r: int, g: int, b: int) -> None:
    """A filled disc of ``radius`` centred at (cx, cy)."""
    fill_annulus(img, cx, cy, radius * radius, 0.0, r, g, b)


@njit(cache=True, nogil=True)
def stroke_circle(img: np.ndarray, cx: float, cy: float, radius: float, width: float, r: int, g: int,
                  b: int) -> None:
    """A circle line ``width`` pixels wide, centred on the circle of ``radius`` about (cx, cy)."""
    for y in range(int(cy - radius) - 2, int(cy + radius) + 3):
        for x in range(int(cx - radius) - 2, int(cx + radius) + 3):
            d = math.sqrt((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2)
            if abs(d - radius) <= width * 0.5:
                put_pixel(img, y, x, r, g, b)


@njit(cache=True, nogil=True)
def stroke_line(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, r: int, g: int, b: int,
                width: int) -> None:
    """A line from (x0, y0) to (x1, y1): a ``width`` x ``width`` square stamped at every step of the longer axis."""
    n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    for i in range(n + 1):
        t = i / n
        x = int(x0 + (x1 - x0) * t)
        y = int(y0 + (y1 - y0) * t)
        for dy in range(-(width // 2), width - width // 2):
            for dx in range(-(width // 2), width - width // 2):
                put_pixel(img, y + dy, x + dx, r, g, b)


@njit(cache=True, nogil=True)
def draw_bar(img: np.ndarray, x: int, y: int, w: int, h: int, fraction: float, colour: np.ndarray) -> None:
    """A ``w`` x ``h`` gauge filled ``fraction`` (clipped to [0, 1]) in ``colour``, on a grey track with a dark
    one-pixel frame around it."""
    fill_box(img, x - 1, y - 1, w + 2, h + 2, 20, 20, 20)
    fill_box(img, x, y, w, h, 55, 55, 55)
    fill_box(img, x, y, int(w * min(max(fraction, 0.0), 1.0)), h, colour[0], colour[1], colour[2])


@njit(cache=True, nogil=True)
def draw_glyph(img: np.ndarray, code: int, x: int, y: int, scale: int, r: int, g: int, b: int) -> None:
    """Font glyph ``code`` with its top-left corner at (x, y), each font pixel ``scale`` x ``scale`` pixels."""
    for gy in range(GLYPH_H):
        for gx in range(GLYPH_W):
            if FONT[code, gy, gx]:
                fill_box(img, x + gx * scale, y + gy * scale, scale, scale, r, g, b)


@njit(cache=True, nogil=True)
def draw_glyphs(img: np.ndarray, codes: np.ndarray, x: int, y: int, scale: int, r: int, g: int, b: int) -> int:
    """The glyphs ``codes`` left to right from (x, y); the x after the last one."""
    for code in codes:
        draw_glyph(img, code, x, y, scale, r, g, b)
        x += GLYPH_ADVANCE * scale
    return x


@njit(cache=True, nogil=True)
def draw_number(img: np.ndarray, value: int, x: int, y: int, scale: int, r: int, g: int, b: int) -> int:
    """The decimal digits of ``value`` (negative values as 0, at most 12 digits) from (x, y); the x after them."""
    digits = np.zeros(12, np.int64)
    count = 0
    rest = max(value, 0)
    while True:
        digits[count] = rest % 10
        count += 1
        rest //= 10
        if rest == 0 or count == 12:
            break
    return draw_glyphs(img, digits[count - 1::-1], x, y, scale, r, g, b)


# ---------------------------------------------------------------------- from Python
Colour = Sequence[int] | np.ndarray


def fill_rect(img: np.ndarray, x: float, y: float, w: float, h: float, colour: Colour) -> None:
    """Fill the rectangle at (x, y) of size w x h; fractional edges are truncated (``int(x)`` to ``int(x + w)``)."""
    x0, y0 = max(int(x), 0), max(int(y), 0)
    x1, y1 = min(int(x + w), img.shape[1]), min(int(y + h), img.shape[0])
    if x1 > x0 and y1 > y0:
        img[y0:y1, x0:x1] = colour


def outline_rect(img: np.ndarray, x: float, y: float, w: float, h: float, colour: Colour,
                 thickness: int = 1) -> None:
    """The border of ``fill_rect``'s rectangle, ``thickness`` pixels wide inside it."""
    fill_rect(img, x, y, w, thickness, colour)
    fill_rect(img, x, y + h - thickness, w, thickness, colour)
    fill_rect(img, x, y, thickness, h, colour)
    fill_rect(img, x + w - thickness, y, thickness, h, colour)


def fill_disc(img: np.ndarray, cx: float, cy: float, radius: float, colour: Colour, ring: float = 0.0) -> None:
    """A filled disc centred at (cx, cy), or with ``ring > 0`` only its outer ``ring`` pixels (an annulus)."""
    # Square the radii here, in the caller's precision (a float32 radius squares in float32).
    outer_sq = radius * radius
    inner_sq = (radius - ring) ** 2 if ring > 0 else 0.0
    fill_annulus(img, float(cx), float(cy), float(outer_sq), float(inner_sq), int(colour[0]), int(colour[1]),
                 int(colour[2]))


def draw_text(img: np.ndarray, x: int, y: int, text: str, colour: Colour, scale: int = 2) -> int:
    """``text`` in the 3x5 font from (x, y), each font pixel ``scale`` x ``scale``; the x after the text."""
    return draw_glyphs(img, glyph_codes(text), int(x), int(y), int(scale), int(colour[0]), int(colour[1]),
                       int(colour[2]))
