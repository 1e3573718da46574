"""The shared raster helpers: the font, text, rectangles and discs, against plain NumPy references."""

from __future__ import annotations

import numpy as np
import pytest

from botarena.envs.common import draw

INK = (200, 100, 50)


def blank(h: int = 40, w: int = 60) -> np.ndarray:
    return np.zeros((h, w, 3), np.uint8)


def inked(img: np.ndarray) -> np.ndarray:
    return img.any(axis=2)


def test_a_digits_code_is_its_value_and_a_missing_character_is_blank():
    assert draw.FONT.shape == (len(draw.FONT_CHARS), draw.GLYPH_H, draw.GLYPH_W)
    assert draw.FONT_CHARS[:10] == "0123456789"
    np.testing.assert_array_equal(draw.glyph_codes("07:"), [0, 7, draw.COLON])
    assert not draw.FONT[draw.glyph_codes("?")[0]].any()
    # "8" lights every pixel that "0" does and the middle bar besides.
    assert (draw.FONT[8] >= draw.FONT[0]).all() and draw.FONT[8, 2].all() and not draw.FONT[0, 2, 1]


def test_text_is_the_scaled_glyphs_side_by_side_with_one_blank_column():
    img = blank()
    end = draw.draw_text(img, 3, 4, "42%", INK, scale=2)
    assert end == 3 + 3 * draw.GLYPH_ADVANCE * 2
    want = np.zeros(img.shape[:2], bool)
    for k, code in enumerate(draw.glyph_codes("42%")):
        x = 3 + k * draw.GLYPH_ADVANCE * 2
        want[4:14, x:x + 6] = np.kron(draw.FONT[code], np.ones((2, 2))).astype(bool)
    np.testing.assert_array_equal(inked(img), want)
    assert tuple(img[want][0]) == INK


def test_text_over_the_edge_is_clipped_and_numbers_draw_like_their_digits():
    img = blank(8, 10)
    draw.draw_text(img, 6, 4, "88", INK)  # mostly off the frame: no error, only what fits
    assert inked(img)[4:, 6:].any() and not inked(img)[:4].any()
    by_number, by_text = blank(), blank()
    assert draw.draw_number(by_number, 1907, 2, 2, 1, *INK) == draw.draw_text(by_text, 2, 2, "1907", INK, scale=1)
    np.testing.assert_array_equal(by_number, by_text)
    negative, zero = blank(), blank()
    draw.draw_number(negative, -5, 2, 2, 1, *INK)
    draw.draw_text(zero, 2, 2, "0", INK, scale=1)
    np.testing.assert_array_equal(negative, zero)


def test_rectangles_truncate_fractional_edges_and_clip():
    img = blank(10, 10)
    draw.fill_rect(img, 1.7, 2.2, 3.6, 2.9, INK)  # columns int(1.7)=1 .. int(5.3)=5, rows 2 .. int(5.1)=5
    want = np.zeros((10, 10), bool)
    want[2:5, 1:5] = True
    np.testing.assert_array_equal(inked(img), want)
    img = blank(10, 10)
    draw.fill_rect(img, -3, 8, 5, 9, INK)
    want = np.zeros((10, 10), bool)
    want[8:, :2] = True
    np.testing.assert_array_equal(inked(img), want)
    img = blank(10, 10)
    draw.fill_box(img, -3, 8, 5, 9, *INK)  # the kernel's integer box clips the same way
    np.testing.assert_array_equal(inked(img), want)
    img = blank(10, 10)
    draw.outline_rect(img, 1, 1, 6, 5, INK)
    assert inked(img).sum() == 2 * 6 + 2 * 3


def reference_disc(shape: tuple[int, int], cx: float, cy: float, r: float, ring: float = 0.0) -> np.ndarray:
    """A pixel is in the disc when its centre is: the NumPy formula the renderers were written with."""
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    d2 = (xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2
    mask = d2 <= r * r
    if ring > 0:
        mask &= d2 >= (r - ring) ** 2
    return mask


@pytest.mark.parametrize("ring", [0.0, 3.0])
def test_discs_and_rings_hold_exactly_the_pixels_whose_centres_lie_inside(ring):
    rng = np.random.default_rng(0)
    for _ in range(200):
        cx, cy = rng.uniform(-10, 70), rng.uniform(-10, 50)
        radius = [float(rng.uniform(0, 20)), int(rng.integers(1, 20)), np.float32(rng.uniform(0, 20))][_ % 3]
        img = blank()
        draw.fill_disc(img, cx, cy, radius, INK, ring=ring)
        np.testing.assert_array_equal(inked(img), reference_disc(img.shape[:2], cx, cy, radius, ring))
        if ring == 0.0:
            kernel = blank()
            draw.fill_circle(kernel, cx, cy, float(radius), *INK)
            np.testing.assert_array_equal(inked(kernel), reference_disc(img.shape[:2], cx, cy, float(radius)))


def test_a_bar_fills_its_fraction_of_a_framed_track():
    img = blank()
    draw.draw_bar(img, 10, 10, 20, 3, 0.25, np.array(INK, np.int64))
    assert tuple(img[9, 9]) == (20, 20, 20)  # the frame
    assert tuple(img[11, 14]) == INK and tuple(img[11, 15]) == (55, 55, 55)  # 5 of 20 columns filled
    overfull = blank()
    draw.draw_bar(overfull, 10, 10, 20, 3, 7.0, np.array(INK, np.int64))
    assert tuple(overfull[11, 29]) == INK and tuple(overfull[11, 30]) == (20, 20, 20)


def test_kernels_agree_with_their_pure_python_selves():
    jitted, python = blank(), blank()
    for img, number, line, ring in ((jitted, draw.draw_number, draw.stroke_line, draw.stroke_circle),
                                    (python, draw.draw_number.py_func, draw.stroke_line.py_func,
                                     draw.stroke_circle.py_func)):
        number(img, 30517, 1, 1, 1, *INK)
        line(img, 2.5, 30.0, 55.0, 12.3, 10, 250, 10, 3)
        ring(img, 30.2, 20.7, 9.5, 2.0, 250, 250, 250)
    np.testing.assert_array_equal(jitted, python)
