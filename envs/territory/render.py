"""Territory frames drawn with NumPy (headless ``rgb_array``); ``render_mode="human"`` shows the same frames
through ``botarena.envs.common.window`` (pygame, imported only when the window opens).

The map is drawn in territorial.io's style: flat player colours with darker borders, tiles taken in the last
few ticks lit up as the live attack fronts, cities as white squares, water shaded lighter along the coast.
A side panel shows the game tick, then every player by rank: placement digit, colour swatch, a land-share
bar with the share in percent, and a troop bar (log scale) with the troop count. A label row names the
columns. Text is the shared 3x5 pixel font (``botarena.envs.common.draw``), so the panel needs no font library.
"""

from __future__ import annotations

import numpy as np

from botarena.envs.common.draw import draw_text, fill_rect
from botarena.envs.common.validation import check_int

from . import core

# territorial.io-like palette: saturated, distinguishable player colours on a pale land.
PLAYER_COLOURS = np.array([
    (220, 60, 60),     # red
    (50, 110, 220),    # blue
    (60, 170, 80),     # green
    (235, 170, 30),    # amber
    (150, 80, 200),    # purple
    (30, 180, 190),    # teal
    (230, 110, 170),   # pink
    (120, 90, 50),     # brown
], dtype=np.float32)
TERRAIN_COLOURS = np.array([
    (214, 222, 178),   # plains
    (186, 190, 140),   # hills
    (214, 222, 178),   # city ground (the marker is drawn on top)
    (30, 52, 86),      # water: a dark navy, so the blue player never reads as sea
    (118, 108, 98),    # mountain
], dtype=np.float32)
COAST_WATER = np.array((48, 78, 118), dtype=np.float32)
CITY_OUTLINE, CITY_FILL = (30, 30, 30), (250, 250, 250)
BACKGROUND = np.array((24, 26, 32), dtype=np.uint8)
PANEL_TEXT = np.array((230, 230, 230), dtype=np.uint8)
PANEL_LABEL = np.array((150, 150, 160), dtype=np.uint8)
TROOP_BAR, TROOP_BAR_DEAD = (200, 200, 200), (70, 70, 70)
PANEL_WIDTH = 180
FRONT_TICKS = 8


def format_troops(troops: int) -> str:
    """A troop count in at most four characters of the panel font: 950, 12K, 2.3M."""
    if troops >= 1_000_000:
        return f"{troops / 1_000_000:.1f}M"
    if troops >= 1_000:
        return f"{troops // 1_000}K"
    return str(int(troops))


def map_colours(state: core.TerritoryState, index: int, front_ticks: int = FRONT_TICKS) -> np.ndarray:
    """One RGB colour per tile, float32 [H, W, 3] (before scaling)."""
    owner = state.owner[index]
    terrain = state.terrain[index]
    colours = TERRAIN_COLOURS[terrain].copy()
    passable = owner != core.IMPASSABLE
    # Coast: water touching land is drawn lighter, as territorial.io's shallow water.
    padded = np.pad(passable, 1, constant_values=False)
    near_land = padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]
    coast = (terrain == core.WATER) & near_land
    colours[coast] = COAST_WATER
    owned = owner >= 0
    if owned.any():
        player = PLAYER_COLOURS[np.clip(owner, 0, None) % len(PLAYER_COLOURS)]
        shade = np.where(terrain == core.HILLS, 0.88, 1.0)[..., None]
        colours = np.where(owned[..., None], player * shade, colours)
        # Borders: owned tiles with a 4-neighbour of another owner (or off the map) are darker.
        po = np.pad(owner, 1, mode="edge")
        edge = ((po[:-2, 1:-1] != owner) | (po[2:, 1:-1] != owner) | (po[1:-1, :-2] != owner)
                | (po[1:-1, 2:] != owner))
        border = owned & edge
        colours[border] *= 0.62
        # Live attack fronts: recently conquered tiles glow towards white.
        recent = owned & (state.conq_tick[index] >= state.tick[index] - front_ticks) & (state.conq_tick[index] >= 0)
        colours[recent] = colours[recent] * 0.55 + 255 * 0.45
    return colours


def render_rgb(state: core.TerritoryState, index: int = 0, tile_px: int = 5, panel: bool = True,
               front_ticks: int = FRONT_TICKS) -> np.ndarray:
    """A frame of env ``index``: uint8 [H * tile_px, W * tile_px (+ PANEL_WIDTH), 3]."""
    check_int("tile_px", tile_px, 1, 32)
    check_int("index", index, 0, state.num_envs - 1)
    colours = map_colours(state, index, front_ticks)
    h, w = state.height, state.width
    board = np.repeat(np.repeat(colours.astype(np.uint8), tile_px, axis=0), tile_px, axis=1)
    # Cities: a white square with a dark outline, a little larger than the tile so it reads at any scale.
    ys, xs = np.nonzero(state.terrain[index] == core.CITY)
    size = tile_px + 2 if tile_px >= 3 else 3
    off = (tile_px - size) // 2
    for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
        y0 = min(max(y * tile_px + off, 0), h * tile_px - size)
        x0 = min(max(x * tile_px + off, 0), w * tile_px - size)
        fill_rect(board, x0, y0, size, size, CITY_OUTLINE)
        fill_rect(board, x0 + 1, y0 + 1, size - 2, size - 2, CITY_FILL)
        if size >= 7:  # a dark dot in the middle once the square is big enough to hold one
            fill_rect(board, x0 + size // 2 - 1, y0 + size // 2 - 1, 2, 2, CITY_OUTLINE)
    if not panel:
        return board
    frame = np.empty((h * tile_px, w * tile_px + PANEL_WIDTH, 3), np.uint8)
    frame[:, : w * tile_px] = board
    frame[:, w * tile_px:] = BACKGROUND
    _draw_panel(state, index, frame[:, w * tile_px:])
    return frame


def _draw_panel(state: core.TerritoryState, index: int, panel: np.ndarray) -> None:
    num_p = state.num_players
    places = np.zeros(num_p, np.int64)
    core.placements(state, index, places)
    land = max(int(state.land[index]), 1)
    order = np.argsort(places, kind="stable")
    row_h = 32
    top = 6
    # Header (26 px, so that 5 rows still fit beside a 32x32 map at 6 px a tile): the tick count, then a
    # label row naming the columns.
    x = draw_text(panel, 4, top, "TICK", PANEL_LABEL)
    draw_text(panel, x + 6, top, str(int(state.tick[index])), PANEL_TEXT)
    top += 12
    draw_text(panel, 2, top, "RANK", PANEL_LABEL, scale=1)
    draw_text(panel, 42, top, "LAND %  /  TROOPS", PANEL_LABEL, scale=1)
    top += 8
    max_log = np.log10(max(float(state.troops[index].max()), 10.0))
    for row, p in enumerate(order.tolist()):
        y = top + row * row_h
        if y + row_h > panel.shape[0]:
            break
        alive = bool(state.alive[index, p])
        colour = PLAYER_COLOURS[p % len(PLAYER_COLOURS)].astype(np.uint8)
        dim = colour if alive else (colour // 3 + 40).astype(np.uint8)
        draw_text(panel, 4, y + 7, str(int(places[p])), PANEL_TEXT if alive else dim)
        fill_rect(panel, 14, y + 2, 22, 22, dim)  # colour swatch
        share = state.tiles[index, p] / land
        bar = int(round(share * (PANEL_WIDTH - 78)))
        fill_rect(panel, 42, y + 3, bar, 7, dim)
        if alive:
            draw_text(panel, 42 + bar + 4, y + 2, f"{share * 100:.0f}%", PANEL_TEXT)
        troops = int(state.troops[index, p])
        # Troop bar (log scale) and count at 2x so the number reads in a scaled-down window.
        tbar = int(round(np.log10(max(troops, 1)) / max_log * (PANEL_WIDTH - 92))) if troops > 0 else 0
        fill_rect(panel, 42, y + 15, tbar, 7, TROOP_BAR if alive else TROOP_BAR_DEAD)
        if alive:
            draw_text(panel, 42 + tbar + 4, y + 14, format_troops(troops), PANEL_TEXT)
        else:
            draw_text(panel, 44, y + 14, "x", dim)
