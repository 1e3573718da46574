"""TickDuel rules: an OSRS-style PvP duel on 600 ms ticks, driven by timed input events (NumPy + Numba only).

The game in one paragraph
-------------------------
Two players stand on a small tile arena. Each step is one game tick of ``TICK_MS`` = 600 ms. During a tick a
player makes *input events* (mouse moves, clicks, key presses with a millisecond time stamp) on a fixed
765 x 503 client screen. The events are read in time order against the client *as it is at that moment*:
an F-key opens a side-panel tab at once, so the next click on the side panel hits that tab's grid; a click on
an inventory slot equips the item there (the worn item takes the slot) or eats it; a click on a prayer
toggles it; a click on a spell selects it and the next click on the opponent casts it; a click on the
opponent attacks; a click on another tile walks there. Game effects (healing, movement, attacks, damage,
freezes, timers, prayer drain) resolve at the tick boundary, after every event of the tick, so the order and
timing of the input inside a tick change the outcome: a protection prayer clicked at 590 ms blocks the hit
that lands at this tick's boundary, one clicked in the next tick does not.

Event format (seven fields per event, as an input recorder logs them; float32 ``[E, 7]``)
------------------------------------------------------------------------------------------
=====  ==========  ==========================================================================================
field  name        meaning
=====  ==========  ==========================================================================================
0      time_ms     time inside the tick, in [0, 600)
1      type        ``EV_MOVE`` 0, ``EV_LEFT_CLICK`` 1, ``EV_RIGHT_CLICK`` 2, ``EV_KEY_DOWN`` 3, ``EV_KEY_UP`` 4,
                   ``EV_SCROLL`` 5 (rounded to the nearest integer)
2      x           screen x in pixels, [0, 765)
3      y           screen y in pixels, [0, 503)
4      button      0 none, 1 left, 2 right, 3 middle (rounded); kept as a recorder logs it, the type decides
5      key_id      0 none, 1-5 = F1-F5 (``KEY_F1`` 1), 6-15 other keys (rounded); only KEY_DOWN of F1-F5 has
                   an effect
6      scroll      wheel ticks in [-10, 10] (camera zoom in the real client; no game effect here)
=====  ==========  ==========================================================================================

A MOVE, a click and a scroll all set the cursor to (x, y). A RIGHT_CLICK opens the client's context menu,
which we do not model: it only cancels a selected spell (as in the client). KEY_UP and SCROLL have no game
effect. Events beyond the count ``n`` are ignored; the first ``n`` are taken in a stable sort by time.

Screen layout (fixed-mode client, 765 x 503; rectangles are ``x, y, w, h`` with half-open pixel ranges)
-------------------------------------------------------------------------------------------------------
=================  =====================  ====================================================================
region             rectangle              what a left click there does
=================  =====================  ====================================================================
viewport           4, 4, 512, 334         the 3D view; holds the arena
arena tiles        20, 27, 480, 288       ``ARENA_W x ARENA_H`` = 10 x 6 tiles of 48 px: the opponent's tile
                                          attacks (or casts the selected spell), any other tile walks there.
                                          Player 1 sees the arena turned 180 degrees (``view_x``, ``view_y``),
                                          so both players start on the left of their screen and have the same
                                          mouse distances to the side panel (the real client centres the
                                          camera on its own player); the observation uses the same view
chatbox            0, 338, 519, 165       nothing
spec orb           570, 130, 30, 30       toggles the special attack (if the weapon has one and energy is
                                          enough)
tab buttons        528, 168, 5 x 40, 36   tab ``k`` (0 combat, 1 inventory, 2 equipment, 3 prayer, 4 magic);
                                          F1-F5 open the same tabs
side panel         553, 205, 190, 261     the open tab's content:
 - inventory       563, 213, 4 x 42, 7x36  slot ``4 * row + col``: equip (swap with the worn item) or eat
 - prayer          563, 220, 3 x 57, 2x57  cell 0 protect from magic, 1 protect from missiles, 2 protect from
                                          melee, 3 melee boost, 4 ranged boost, 5 magic boost: toggles
 - magic           563, 220, 2 x 57, 57    spell 0 ice barrage, 1 blood barrage: selects it
 - combat          563, 420, 170, 26       the special attack bar: toggles the special attack
 - equipment       (display only)          nothing
=================  =====================  ====================================================================

Mechanics and where they come from (OSRS wiki pages named in brackets)
----------------------------------------------------------------------
* ``TICK_MS`` = 600: the game tick [Game tick].
* Attack speeds in ticks [Attack speed]: whip and daggers 4, crossbows 5 (rapid), spells 5 (also for staves).
* Accuracy [Combat / Maximum hit formulas]: effective level ``floor(level * prayer) + 8``; attack roll
  ``eff_att * (attack_bonus + 64)``; defence roll ``eff_def * (defence_bonus + 64)``, where a magic defence
  level is ``floor(0.7 * magic + 0.3 * defence)`` [Magic defence, PvP]; hit chance ``1 - (D + 2) / (2 (A + 1))``
  if ``A > D`` else ``A / (2 (D + 1))``; a hit deals uniform ``0..max``.
* Max hit, melee and ranged: ``floor(0.5 + eff_str * (strength_bonus + 64) / 640)``; magic: the spell's base
  (ice barrage 30, blood barrage 29) times ``1 + magic damage bonus`` [Maximum hit].
* ``PROTECT_FACTOR`` = 0.6: protection prayers cut PvP damage by 40 % [Protect from Melee].
* Boost prayers [Piety / Rigour / Augury]: +20 % attack, +23 % strength, +25 % defence (melee; ranged: the
  same on ranged); augury +25 % magic attack and defence; builds under 70 defence get the 15 % prayers
  (ultimate strength + incredible reflexes, eagle eye, mystic might).
* Prayer drain [Prayer]: every tick a counter grows by the active prayers' drain effects (protection 12,
  piety / rigour / augury 24, the 15 % set 24 / 12 / 12); a point drains each time it passes the
  resistance ``60 + 2 * prayer bonus``. At 0 points every prayer switches off.
* Food [Food, Cooked karambwan]: eating a shark heals 20 and blocks other normal food for ``EAT_DELAY`` = 3
  ticks; a karambwan heals 18, has its own 3-tick timer, so it is eaten in the same tick as a shark (combo
  eating). Eating adds ``FOOD_ATTACK_DELAY`` = 3 ticks (karambwan ``COMBO_ATTACK_DELAY`` = 2) to the attack
  timer. Healing lands at the boundary, before the hits, and is capped at the maximum hitpoints.
* Ice barrage [Ice Barrage]: max 30; a hit that passes the accuracy roll freezes for ``FREEZE_TICKS`` = 32
  ticks (halved when the target prays magic); after a freeze the player is immune for
  ``FREEZE_IMMUNITY_TICKS`` = 5 ticks [Freeze]. A frozen player cannot move.
* Blood barrage: max 29, heals the caster 25 % of the damage dealt [Blood Barrage].
* Special attack [Special attacks]: energy 0-100, ``SPEC_REGEN`` = 10 every ``SPEC_REGEN_TICKS`` = 50 ticks
  (30 s); dragon dagger 25 % (two hits, +15 % accuracy and damage), voidwaker 50 % (accuracy x3, damage
  x1.25; a simplification: the real one deals magic damage). Switching the weapon disarms the special attack.
* Movement: run, 2 tiles per tick; melee needs an orthogonally adjacent tile (no diagonal melee), ranged
  reaches 7 tiles, magic 10 (Chebyshev) [Attack range]. A player attacking with melee walks toward the target.
* Melee defence is one number (a simplification: OSRS splits it into stab, slash and crush).
* Death (hitpoints 0) ends the duel at the boundary; both dying in one tick is a draw.

Rules v1 (``rules[i] == RULES_V1``, TickDuel-v1; v0 keeps everything above exactly)
---------------------------------------------------------------------------------
The mechanics NH duelling turns on, after the OSRS wiki, weirdgloop's osrs-dps-calc and RuneLite's timer,
prayer and item-stat plugins:

* **The boundary in PID order** [OSRS wiki, Game tick / PID]: after both players' input, each player in turn
  (``pid_first`` first; PID is drawn again every U{100..150} ticks): (a) the hits in flight on it that are due
  land, (b) its timers and prayer drain run, (c) it moves, (d) its attack launches. Accuracy, damage and the
  target's protection prayer are rolled at *launch*; the hit waits in the target's pending-hit queue.
* **Hit delay** [OSRS wiki, Hit delay], ``d`` the Chebyshev distance at launch: melee (and melee specials) 0,
  crossbows ``1 + floor((3 + d) / 6)``, spells ``1 + floor((1 + d) / 3)``, plus 1 when the target was processed
  before the attacker this tick. Hits due on the same tick land together: a bolt or barrage launched earlier and
  a melee hit launched now *stack* into one hitsplat, with no tick to eat between them.
* **Prayer flicking**: which event times count. Every click of tick T (any time in [0, 600) ms) is applied before
  T's boundary. A protection prayer protects against an attack launched at T's boundary if it is on once T's
  events are applied; a click in T+1 is too late for it. A prayer switched on during T's input drains nothing at
  T's boundary (a timer does not run on the tick it starts); one left on into the next tick drains as in v0. So
  clicking a prayer off and on again in the same tick (a 1-tick flick) keeps the protection at every boundary for
  no prayer points; clicking it on in T and off early in T+1 costs nothing either but protects only at T's
  boundary; clicking it on and off within one tick protects nothing.
* **Freezes**: an accurate ice barrage freezes for the full 32 ticks through Protect from Magic (RuneLite's
  halving applies only to Bind, Snare and Entangle), applied when the spell lands.
* **Food, brews and restores** [RuneLite ItemStatChanges; runedocs, queue]: eating and drinking act at once.
  Anglerfish heals ``floor(hp / 10) + 13`` (22 at 99) and may overheal to base + that; shark 20 and karambwan 18 up
  to the base. Saradomin brew: hitpoints ``+floor(0.15 base) + 2`` (overheal to base + that), defence
  ``+floor(0.2 base) + 2``, attack, strength, ranged and magic ``-(floor(0.1 current) + 2)``. Super restore:
  levels below base and prayer points ``+floor(0.25 base) + 8`` up to the base. Super combat: attack, strength,
  defence ``+floor(0.15 base) + 5``; ranging ``+floor(0.1 base) + 4``. Potions have four doses (the last one
  smashes the vial). Timers: food needs ``eat_timer`` 0 (sets it to 3, attack +3); a potion needs ``pot_timer``
  0 (sets it and ``eat_timer`` to 3); a karambwan needs ``combo_timer`` 0 (sets all three, attack +2): food,
  potion, karambwan in one tick works only in that order. Every minute (100 ticks) boosted and drained levels
  and overhealed hitpoints move 1 toward the base.
* **Specials**: the voidwaker's always hits for uniform ``[M // 2, M + M // 2]`` of the melee max hit ``M``, as
  magic damage (Protect from Magic cuts it); the dragon dagger's two hits land together; the granite maul's is
  *instant*: armed on the orb, it strikes at the boundary whatever the attack timer, if the opponent is in melee
  reach (the NH way to stack a melee hit on a bolt or barrage in flight). The maul is two-handed: wielding it
  takes the shield off into a free inventory slot (no free slot, no maul).
* **Combat levels** [osrs-dps-calc]: melee in the aggressive stance, +3 effective strength; effective magic attack
  ``floor(magic * prayer) + 9``; a player's magic defence level ``floor(0.7 floor(magic * augury)) +
  floor(0.3 floor(defence * prayer))``; levels are the current (boosted or drained) ones.
* **Items**: the values of osrs-dps-calc's equipment table where v0's differ (``_V1_FIXES``): the Bandos
  chestplate's ranged defence 133, the fighter torso's defences 62 / 67 / -10, crossbows' ranged strength from
  their bolts (dragon bolts (e) 122, diamond bolts (e) 105), mystic robes' prayer 0, the unholy book's +8
  attacks, magic damage of the mage's book 2 % and Ahrim's 1 % a piece. The builds carry NH supplies
  (``START_INVENTORY_BY_RULES``): a super combat, a ranging potion, 3 super restores, 5 brews (pures 2 and 4),
  a granite maul, anglerfish and 2 karambwans.

State (``DuelState``, batch-first; N envs, P = 2 players)
--------------------------------------------------------
==================  ==================  ===============================================================
array               dtype / shape       meaning
==================  ==================  ===============================================================
build               int8 [N,P]          ``BUILD_MAX`` 0, ``BUILD_ZERKER`` 1, ``BUILD_PURE`` 2
stats               int64 [N,P,7]       levels: attack, strength, defence, ranged, magic, hitpoints, prayer (``S_*``)
hp                  int64 [N,P]         hitpoints
prayer              int64 [N,P]         prayer points
drain               int64 [N,P]         prayer drain counter
spec                int64 [N,P]         special-attack energy, 0-100
spec_armed          uint8 [N,P]         1 when the next attack is a special attack
pos_x, pos_y        int64 [N,P]         tile position
dest_x, dest_y      int64 [N,P]         walk destination (``NO_TILE`` -1: none)
target              uint8 [N,P]         1 while attacking the opponent
attack_timer        int64 [N,P]         ticks until the next attack may start (<= 0: ready)
selected_spell      int64 [N,P]         spell selected in the spellbook, waiting for a target (``NO_SPELL`` -1)
pending_spell       int64 [N,P]         spell to cast at the next attack (``NO_SPELL`` -1: the weapon's style)
frozen              int64 [N,P]         freeze ticks left
freeze_immune       int64 [N,P]         freeze-immunity ticks left
eat_timer           int64 [N,P]         ticks until a normal food may be eaten
combo_timer         int64 [N,P]         ticks until a combo food may be eaten
pending_heal        int64 [N,P]         healing that lands at the boundary
protect             int64 [N,P]         protected style (``MELEE`` 0, ``RANGED`` 1, ``MAGIC`` 2; ``NO_STYLE`` -1)
boost               int64 [N,P]         boosted style (``NO_STYLE`` -1: none)
open_tab            int64 [N,P]         open side-panel tab (``TAB_*``)
cursor_x, cursor_y  float64 [N,P]       cursor position
equipment           int64 [N,P,4]       worn item per slot (weapon, body, legs, shield)
inventory           int64 [N,P,28]      item per slot (``ITEM_EMPTY`` 0 = empty)
dealt, taken        int64 [N,P]         damage dealt / taken at the last boundary
hitsplat            int64 [N,P]         damage taken at the last boundary, ``NO_HIT`` -1 when no attack landed
last_style          int64 [N,P]         style of the attack made at the last boundary (``NO_STYLE`` -1: none)
total_dealt         int64 [N,P]         damage dealt this episode
tick                int64 [N]           ticks since reset
done                uint8 [N]           1 once someone died
winner              int64 [N]           0 / 1 the winner, ``DRAW`` 2, ``WINNER_NONE`` -1 while running
rng_state           uint64 [N]          SplitMix64 word (``botarena.envs.common.rng``): the game's randomness
bot_rng             uint64 [N,P]        a scripted player's own stream per seat, derived from ``rng_state`` at
                                        reset, so the game depends only on the seed and the events
rules               uint8 [N]           rule set: ``RULES_V0`` (TickDuel-v0) or ``RULES_V1`` (below); the arrays
                                        after it are used by v1 only
pot_timer           int64 [N,P]         ticks until a potion may be drunk
fresh_protect       uint8 [N,P]         1 when the protection prayer was switched on during this tick's input
fresh_boost         uint8 [N,P]         1 when the boost prayer was switched on during this tick's input
hit_tick            int64 [N,P,H]       pending hits *on* player p: the tick they land (``NO_LANDING`` -1: empty
                                        slot); H = ``MAX_PENDING_HITS``
hit_damage          int64 [N,P,H]       their damage (rolled at launch, protection applied)
hit_style           int64 [N,P,H]       how they travel (melee, a bolt, a spell); protection is applied at launch
hit_freeze          int64 [N,P,H]       freeze ticks they bring (an accurate ice barrage), else 0
hit_heal            int64 [N,P,H]       1 for a blood barrage: it heals its caster when it lands
pid_first           int64 [N]           the seat processed first this tick (PID order)
pid_timer           int64 [N]           ticks until PID is drawn again
==================  ==================  ===============================================================

Kernels take ``(s, i, p)``: the state, an env index and a player seat; ``o = 1 - p`` is the opponent. What a
player observes is written by ``observe``, the scripted players live in ``bots``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from botarena.envs.common import rng
from botarena.envs.common.jit import NO_NRT, kernel_helper

# ---------------------------------------------------------------------------------------------- time, events
TICK_MS = 600
NUM_PLAYERS = 2
EVENT_FIELDS = 7
F_TIME, F_TYPE, F_X, F_Y, F_BUTTON, F_KEY, F_SCROLL = range(7)
EV_MOVE, EV_LEFT_CLICK, EV_RIGHT_CLICK, EV_KEY_DOWN, EV_KEY_UP, EV_SCROLL = range(6)
NUM_EVENT_TYPES = 6
NUM_BUTTONS = 4
NUM_KEYS = 16  # 0 none, 1-5 F1-F5, 6-15 other keys
KEY_F1 = 1  # key ids KEY_F1 .. KEY_F1 + 4 are F1-F5, which open the tabs in TAB_* order
MAX_SCROLL = 10.0

# ---------------------------------------------------------------------------------------------- screen layout
SCREEN_W, SCREEN_H = 765, 503
VIEWPORT = (4, 4, 512, 334)
ARENA_W, ARENA_H, TILE_PX = 10, 6, 48
ARENA_X0, ARENA_Y0 = 20, 27
CHATBOX = (0, 338, 519, 165)
SPEC_ORB = (570, 130, 30, 30)
TAB_COMBAT, TAB_INVENTORY, TAB_EQUIPMENT, TAB_PRAYER, TAB_MAGIC = range(5)
NUM_TABS = 5
TAB_X0, TAB_Y0, TAB_W, TAB_H = 528, 168, 40, 36
SIDE_PANEL = (553, 205, 190, 261)
INV_X0, INV_Y0, INV_W, INV_H, INV_COLS, INV_ROWS = 563, 213, 42, 36, 4, 7
INVENTORY_SLOTS = 28
PRAY_X0, PRAY_Y0, PRAY_CELL, PRAY_COLS, PRAY_ROWS = 563, 220, 57, 3, 2
# Prayer-book cells, left to right and top to bottom; the boost cells follow the style order (melee, ranged, magic).
PRAYER_PROTECT_MAGIC, PRAYER_PROTECT_MISSILES, PRAYER_PROTECT_MELEE = 0, 1, 2
PRAYER_BOOST_MELEE, PRAYER_BOOST_RANGED, PRAYER_BOOST_MAGIC = 3, 4, 5
NUM_PRAYERS = 6
SPELL_X0, SPELL_Y0, SPELL_CELL = 563, 220, 57
SPELL_ICE_BARRAGE, SPELL_BLOOD_BARRAGE = 0, 1
NUM_SPELLS = 2
NO_SPELL = -1  # selected_spell / pending_spell: none
SPEC_BAR = (563, 420, 170, 26)

# ---------------------------------------------------------------------------------------------- combat rules
MELEE, RANGED, MAGIC = 0, 1, 2
NO_STYLE = -1  # protect / boost / last_style: none; ITEM_STYLE: not a weapon
PROTECT_FACTOR = 0.6
FREEZE_TICKS = 32
FREEZE_IMMUNITY_TICKS = 5
EAT_DELAY = 3
FOOD_ATTACK_DELAY = 3
COMBO_ATTACK_DELAY = 2
SPEC_MAX = 100
SPEC_REGEN = 10
SPEC_REGEN_TICKS = 50
RUN_TILES = 2
RANGE_RANGED, RANGE_MAGIC = 7, 10
SPELL_SPEED = 5
SPELL_MAX_HIT = np.array([30, 29], np.int64)
SPELL_LEVEL = np.array([94, 92], np.int64)
BLOOD_HEAL_FRACTION = 0.25
PRAYER_RESISTANCE_BASE = 60
# Prayer cell -> (kind, style): the protection cells protect from a style, the boost cells boost one.
PRAYER_IS_PROTECT = np.array([1, 1, 1, 0, 0, 0], np.int64)
PRAYER_STYLE = np.array([MAGIC, RANGED, MELEE, MELEE, RANGED, MAGIC], np.int64)
PROTECT_DRAIN = 12
# Top-tier boosts (piety, rigour, augury) need 70 defence: multipliers [style] for attack, strength, defence.
BOOST_TOP_ATT = np.array([1.20, 1.20, 1.25])
BOOST_TOP_STR = np.array([1.23, 1.23, 1.0])
BOOST_TOP_DEF = np.array([1.25, 1.25, 1.25])
BOOST_TOP_DRAIN = np.array([24, 24, 24], np.int64)
BOOST_LOW_ATT = np.array([1.15, 1.15, 1.15])
BOOST_LOW_STR = np.array([1.15, 1.15, 1.0])
BOOST_LOW_DRAIN = np.array([24, 12, 12], np.int64)
TOP_BOOST_DEFENCE = 70

# Equipment bonus kinds (``gear_bonus``) and prayer multipliers (``boost_mult``).
BONUS_ATTACK, BONUS_DEFENCE, BONUS_STRENGTH = 0, 1, 2

# Rule sets: ``rules[i]`` of a duel. v0 keeps TickDuel-v0 exactly (old recordings replay bit for bit); v1 adds
# the mechanics of the *Rules v1* section of the module docstring.
RULES_V0, RULES_V1 = 0, 1
LATEST_RULES = RULES_V1
RULE_SETS = (RULES_V0, RULES_V1)
MAX_HIT_DELAY = 4  # the longest hit delay: a spell from 8 to 10 tiles (plus 1 when the target acts first)
MAX_PENDING_HITS = 4  # hits in flight on one player (speeds >= 4 and delays <= 5 keep at most 2 of each side's)
NO_LANDING = -1  # hit_tick: an empty slot of the pending-hit queue
PID_SHUFFLE_MIN, PID_SHUFFLE_MAX = 100, 150  # PID re-drawn every U{100..150} ticks [OSRS wiki, PID]
POTION_DELAY = 3  # ticks between two potions; a potion also blocks food for as long [RuneLite, runedocs queue]
STAT_RESTORE_TICKS = 100  # boosted and drained levels move 1 toward the base level every minute [OSRS wiki]
STANCE_MELEE_STRENGTH = 3  # melee attacks in the aggressive stance: +3 effective strength [osrs-dps-calc]
MAGIC_ACCURACY_BONUS = 9  # effective magic attack level adds 9, not 8 [osrs-dps-calc, PlayerVsNPCCalc]

# ---------------------------------------------------------------------------------------------- stats, builds
NUM_STATS = 7
S_ATT, S_STR, S_DEF, S_RNG, S_MAG, S_HP, S_PRAY = range(NUM_STATS)
BUILD_MAX, BUILD_ZERKER, BUILD_PURE = 0, 1, 2
BUILD_NAMES = ("max", "zerker", "pure")
NUM_BUILDS = 3
BUILD_STATS = np.array([
    [99, 99, 99, 99, 99, 99, 99],  # max: every combat skill 99
    [75, 99, 45, 99, 99, 99, 52],  # zerker: 45 defence (berserker helm), 52 prayer
    [75, 99, 1, 99, 94, 99, 52],   # pure: 1 defence
], np.int64)

# ---------------------------------------------------------------------------------------------- items
SLOT_WEAPON, SLOT_BODY, SLOT_LEGS, SLOT_SHIELD = range(4)
EQUIP_SLOTS = 4
NO_SLOT = -1  # ITEM_SLOT of food and of the empty item: worn nowhere
FOOD_NONE, FOOD_NORMAL, FOOD_COMBO, FOOD_POTION = 0, 1, 2, 3  # ITEM_FOOD: what a click on the item does
# name, slot (NO_SLOT -1: food), weapon style (NO_STYLE -1: not a weapon), attack speed in ticks,
# attack [melee, ranged, magic], defence [melee, ranged, magic], strength [melee, ranged, magic damage %],
# heal, food kind, spec cost, spec accuracy x, spec damage x, spec hits, prayer bonus.
# Bonuses follow the OSRS wiki item pages, rounded, melee defence as one number (see the module docstring).
_ITEMS = [
    ("empty", -1, -1, 0, (0, 0, 0), (0, 0, 0), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("abyssal whip", 0, MELEE, 4, (82, 0, 0), (0, 0, 0), (82, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("dragon dagger", 0, MELEE, 4, (40, 0, 0), (1, 0, 1), (40, 0, 0), 0, 0, 25, 1.15, 1.15, 2, 0),
    ("voidwaker", 0, MELEE, 4, (70, 0, 0), (0, 0, 0), (80, 0, 0), 0, 0, 50, 3.0, 1.25, 1, 0),
    ("rune crossbow", 0, RANGED, 5, (0, 90, 0), (0, 0, 0), (0, 100, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("armadyl crossbow", 0, RANGED, 5, (0, 100, 0), (0, 0, 0), (0, 110, 0), 0, 0, 0, 1.0, 1.0, 1, 1),
    ("ancient staff", 0, MAGIC, 5, (10, 0, 15), (2, 0, 15), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("kodai wand", 0, MAGIC, 5, (0, 0, 28), (0, 0, 20), (0, 0, 15), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("ahrim's robetop", 1, -1, 0, (0, -10, 30), (52, 0, 30), (0, 0, 2), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("black d'hide body", 1, -1, 0, (0, 30, -15), (55, 50, 50), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("bandos chestplate", 1, -1, 0, (0, -10, -15), (98, 61, -6), (4, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 1),
    ("ahrim's robeskirt", 2, -1, 0, (0, -7, 22), (35, 0, 22), (0, 0, 2), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("black d'hide chaps", 2, -1, 0, (0, 17, -10), (31, 25, 28), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("rune platelegs", 2, -1, 0, (0, -7, -21), (51, 49, -4), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("mage's book", 3, -1, 0, (0, 0, 15), (0, 0, 15), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("blessed spirit shield", 3, -1, 0, (0, 0, 0), (53, 52, 2), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 3),
    ("dragon defender", 3, -1, 0, (25, 0, -3), (25, 0, -2), (6, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("shark", -1, -1, 0, (0, 0, 0), (0, 0, 0), (0, 0, 0), 20, FOOD_NORMAL, 0, 1.0, 1.0, 1, 0),
    ("cooked karambwan", -1, -1, 0, (0, 0, 0), (0, 0, 0), (0, 0, 0), 18, FOOD_COMBO, 0, 1.0, 1.0, 1, 0),
    ("fighter torso", 1, -1, 0, (0, -10, -40), (62, 38, -40), (4, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("mystic robe top", 1, -1, 0, (0, 0, 20), (0, 0, 20), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 2),
    ("mystic robe bottom", 2, -1, 0, (0, 0, 15), (0, 0, 15), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 1),
    ("zamorak monk top", 1, -1, 0, (0, 0, 8), (0, 0, 8), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 3),
    ("leather body", 1, -1, 0, (0, 2, -2), (8, 8, 4), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("leather chaps", 2, -1, 0, (0, 4, -2), (4, 4, 2), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 0),
    ("zamorak monk bottom", 2, -1, 0, (0, 0, 6), (0, 0, 6), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 3),
    ("unholy book", 3, -1, 0, (0, 0, 0), (0, 0, 0), (0, 0, 0), 0, 0, 0, 1.0, 1.0, 1, 5),
    # v1 (TickDuel-v1 builds only; v0 never holds them): NH supplies and the granite maul.
    ("anglerfish", -1, -1, 0, (0, 0, 0), (0, 0, 0), (0, 0, 0), 22, 1, 0, 1.0, 1.0, 1, 0),
    *[(f"saradomin brew({d})", -1, -1, 0, (0, 0, 0), (0, 0, 0), (0, 0, 0), 0, 3, 0, 1.0, 1.0, 1, 0)
      for d in (4, 3, 2, 1)],
    *[(f"super restore({d})", -1, -1, 0, (0, 0, 0), (0, 0, 0), (0, 0, 0), 0, 3, 0, 1.0, 1.0, 1, 0)
      for d in (4, 3, 2, 1)],
    *[(f"super combat potion({d})", -1, -1, 0, (0, 0, 0), (0, 0, 0), (0, 0, 0), 0, 3, 0, 1.0, 1.0, 1, 0)
      for d in (4, 3, 2, 1)],
    *[(f"ranging potion({d})", -1, -1, 0, (0, 0, 0), (0, 0, 0), (0, 0, 0), 0, 3, 0, 1.0, 1.0, 1, 0)
      for d in (4, 3, 2, 1)],
    ("granite maul", 0, MELEE, 7, (81, 0, 0), (0, 0, 0), (79, 0, 0), 0, 0, 50, 1.0, 1.0, 1, 0),
]
ITEM_NAMES = tuple(row[0] for row in _ITEMS)
NUM_ITEMS = len(_ITEMS)
ITEM_EMPTY = 0
ITEM_SHARK = ITEM_NAMES.index("shark")
ITEM_KARAMBWAN = ITEM_NAMES.index("cooked karambwan")
ITEM_SLOT = np.array([r[1] for r in _ITEMS], np.int64)
ITEM_STYLE = np.array([r[2] for r in _ITEMS], np.int64)
ITEM_SPEED = np.array([r[3] for r in _ITEMS], np.int64)
ITEM_ATT = np.array([r[4] for r in _ITEMS], np.float64)
ITEM_DEF = np.array([r[5] for r in _ITEMS], np.float64)
ITEM_STR = np.array([r[6] for r in _ITEMS], np.float64)
ITEM_HEAL = np.array([r[7] for r in _ITEMS], np.int64)
ITEM_FOOD = np.array([r[8] for r in _ITEMS], np.int64)
ITEM_SPEC_COST = np.array([r[9] for r in _ITEMS], np.int64)
ITEM_SPEC_ACC = np.array([r[10] for r in _ITEMS], np.float64)
ITEM_SPEC_DMG = np.array([r[11] for r in _ITEMS], np.float64)
ITEM_SPEC_HITS = np.array([r[12] for r in _ITEMS], np.int64)
ITEM_PRAYER = np.array([r[13] for r in _ITEMS], np.int64)
MAIN_FOOD_BY_RULES = np.array([ITEM_NAMES.index("shark"), ITEM_NAMES.index("anglerfish")], np.int64)
V0_NUM_ITEMS = ITEM_NAMES.index("anglerfish")  # the items TickDuel-v0 knows (its observation scales by them)
ITEM_ANGLERFISH = ITEM_NAMES.index("anglerfish")
ITEM_GRANITE_MAUL = ITEM_NAMES.index("granite maul")
# Potions: ITEM_POTION the kind (POT_* or -1), ITEM_NEXT_DOSE what is left after a sip (the last dose leaves
# nothing: vials smash, as NH players set them to). ITEM_OVERHEAL: food that heals above the base hitpoints.
POT_BREW, POT_RESTORE, POT_COMBAT, POT_RANGING = range(4)
NUM_POTIONS = 4
POTION_DOSES = 4
POTION_NAMES = ("saradomin brew", "super restore", "super combat potion", "ranging potion")
ITEM_POTION = np.full(NUM_ITEMS, -1, np.int64)
ITEM_NEXT_DOSE = np.zeros(NUM_ITEMS, np.int64)
ITEM_DOSES = np.zeros(NUM_ITEMS, np.int64)
for _kind, _name in enumerate(POTION_NAMES):
    for _dose in range(POTION_DOSES, 0, -1):
        _item = ITEM_NAMES.index(f"{_name}({_dose})")
        ITEM_POTION[_item] = _kind
        ITEM_DOSES[_item] = _dose
        ITEM_NEXT_DOSE[_item] = ITEM_NAMES.index(f"{_name}({_dose - 1})") if _dose > 1 else 0
ITEM_OVERHEAL = np.zeros(NUM_ITEMS, np.int64)
ITEM_OVERHEAL[ITEM_ANGLERFISH] = 1
ITEM_SPEC_INSTANT = np.zeros(NUM_ITEMS, np.int64)  # a special attack made at once, whatever the attack timer
ITEM_SPEC_INSTANT[ITEM_GRANITE_MAUL] = 1
ITEM_TWO_HANDED = np.zeros(NUM_ITEMS, np.int64)  # a weapon that needs the shield slot free too
ITEM_TWO_HANDED[ITEM_GRANITE_MAUL] = 1
ITEM_SPEC_MAGIC = np.zeros(NUM_ITEMS, np.int64)  # a special attack that always hits and deals magic damage
ITEM_SPEC_MAGIC[ITEM_NAMES.index("voidwaker")] = 1
# Rules v1 read the bonuses from these copies, with the OSRS tables' values where v0 differs (osrs-dps-calc
# equipment.json; melee defence is the stab column, as in v0): [rules, item, style].
_V1_FIXES = {
    # item: (attack, defence, strength, prayer); None keeps v0's
    "bandos chestplate": (None, (98, 133, -6), None, None),
    "fighter torso": ((0, 0, -40), (62, 67, -10), None, None),
    "mystic robe top": (None, None, None, 0),
    "mystic robe bottom": (None, None, None, 0),
    "unholy book": ((8, 8, 8), None, None, None),
    "zamorak monk top": ((0, 0, 2), (0, 0, 3), None, None),
    "zamorak monk bottom": ((0, 0, 2), (0, 0, 3), None, None),
    "mage's book": (None, None, (0, 0, 2), None),
    "ahrim's robetop": (None, None, (0, 0, 1), None),
    "ahrim's robeskirt": (None, None, (0, 0, 1), None),
    # crossbows: their ranged strength is the bolts' (dragon bolts (e) 122, diamond bolts (e) 105)
    "armadyl crossbow": (None, None, (0, 122, 0), None),
    "rune crossbow": (None, None, (0, 105, 0), None),
}
ITEM_ATT_BY_RULES = np.stack([ITEM_ATT, ITEM_ATT])
ITEM_DEF_BY_RULES = np.stack([ITEM_DEF, ITEM_DEF])
ITEM_STR_BY_RULES = np.stack([ITEM_STR, ITEM_STR])
ITEM_PRAYER_BY_RULES = np.stack([ITEM_PRAYER, ITEM_PRAYER])
for _name, (_att, _def, _str, _pray) in _V1_FIXES.items():
    _item = ITEM_NAMES.index(_name)
    for _table, _value in ((ITEM_ATT_BY_RULES, _att), (ITEM_DEF_BY_RULES, _def), (ITEM_STR_BY_RULES, _str)):
        if _value is not None:
            _table[RULES_V1, _item] = _value
    if _pray is not None:
        ITEM_PRAYER_BY_RULES[RULES_V1, _item] = _pray


def _ids(*names: str) -> list[int]:
    return [ITEM_NAMES.index(n) if n else 0 for n in names]


# Gear sets per build: [build, kind, slot] with kinds melee, ranged, magic, spec; 0 = "whatever is worn".
SET_MELEE, SET_RANGED, SET_MAGIC, SET_SPEC = 0, 1, 2, 3
GEAR_SETS = np.array([
    [_ids("abyssal whip", "bandos chestplate", "rune platelegs", "dragon defender"),
     _ids("armadyl crossbow", "black d'hide body", "black d'hide chaps", "blessed spirit shield"),
     _ids("kodai wand", "ahrim's robetop", "ahrim's robeskirt", "mage's book"),
     _ids("voidwaker", "bandos chestplate", "rune platelegs", "dragon defender")],
    [_ids("abyssal whip", "fighter torso", "rune platelegs", "dragon defender"),
     _ids("rune crossbow", "black d'hide body", "black d'hide chaps", "blessed spirit shield"),
     _ids("ancient staff", "mystic robe top", "mystic robe bottom", "mage's book"),
     _ids("dragon dagger", "fighter torso", "rune platelegs", "dragon defender")],
    [_ids("abyssal whip", "", "", ""),
     _ids("rune crossbow", "leather body", "leather chaps", ""),
     _ids("ancient staff", "zamorak monk top", "zamorak monk bottom", ""),
     _ids("dragon dagger", "", "", "")],
], np.int64)
# Every build starts in its magic set (pures with an unholy book); the inventory holds the other sets, the
# special-attack weapon, sharks and four karambwans.
START_EQUIPMENT = np.array([
    _ids("kodai wand", "ahrim's robetop", "ahrim's robeskirt", "mage's book"),
    _ids("ancient staff", "mystic robe top", "mystic robe bottom", "mage's book"),
    _ids("ancient staff", "zamorak monk top", "zamorak monk bottom", "unholy book"),
], np.int64)
_START_GEAR = [
    _ids("armadyl crossbow", "black d'hide body", "black d'hide chaps", "blessed spirit shield",
         "abyssal whip", "bandos chestplate", "rune platelegs", "dragon defender", "voidwaker"),
    _ids("rune crossbow", "black d'hide body", "black d'hide chaps", "blessed spirit shield",
         "abyssal whip", "fighter torso", "rune platelegs", "dragon defender", "dragon dagger"),
    _ids("rune crossbow", "leather body", "leather chaps", "abyssal whip", "dragon dagger"),
]
COMBO_FOOD_COUNT = 4
START_INVENTORY = np.zeros((NUM_BUILDS, INVENTORY_SLOTS), np.int64)
for _b, _gear in enumerate(_START_GEAR):
    START_INVENTORY[_b, :len(_gear)] = _gear
    START_INVENTORY[_b, len(_gear):INVENTORY_SLOTS - COMBO_FOOD_COUNT] = ITEM_SHARK
    START_INVENTORY[_b, INVENTORY_SLOTS - COMBO_FOOD_COUNT:] = ITEM_KARAMBWAN
# Rules v1: the NH supplies (1 super combat, 1 ranging, 3 super restores, 5 brews, anglerfish to fill, after the
# NH loadouts of Naton1/osrs-pvp-reinforcement-learning) beside the same gear plus a granite maul for stacking;
# pures carry 4 brews and 2 restores. [rules, build, slot]
_V1_SUPPLIES = (
    ["super combat potion(4)", "ranging potion(4)"] + ["super restore(4)"] * 3 + ["saradomin brew(4)"] * 5,
    ["super combat potion(4)", "ranging potion(4)"] + ["super restore(4)"] * 3 + ["saradomin brew(4)"] * 5,
    ["super combat potion(4)", "ranging potion(4)"] + ["super restore(4)"] * 2 + ["saradomin brew(4)"] * 4,
)
V1_COMBO_FOOD_COUNT = 2
START_INVENTORY_BY_RULES = np.zeros((len(RULE_SETS), NUM_BUILDS, INVENTORY_SLOTS), np.int64)
START_INVENTORY_BY_RULES[RULES_V0] = START_INVENTORY
for _b, _gear in enumerate(_START_GEAR):
    _row = [*_gear, ITEM_GRANITE_MAUL, *_ids(*_V1_SUPPLIES[_b])]
    _food = INVENTORY_SLOTS - len(_row) - V1_COMBO_FOOD_COUNT
    _row += [ITEM_ANGLERFISH] * _food + [ITEM_KARAMBWAN] * V1_COMBO_FOOD_COUNT
    START_INVENTORY_BY_RULES[RULES_V1, _b] = _row
BOT_STREAM_KEYS = np.array([0x632BE59BD9B4E019, 0x8CB92BA72F3D8DD7], np.uint64)
START_POSITIONS = np.array([[2, 2], [7, 3]], np.int64)  # (x, y) of players 0 and 1

# Sentinels of the state arrays (see the state table).
NO_TILE = -1  # dest_x / dest_y: not walking
NO_HIT = -1  # hitsplat: no attack landed on the player at the last boundary
WINNER_NONE, DRAW = -1, 2  # winner: still running; both died in one tick (else the winning seat, 0 or 1)


def build_index(name: str) -> int:
    """The build id of a build name (``max``, ``zerker``, ``pure``), with a clear error."""
    if name not in BUILD_NAMES:
        raise ValueError(f"build must be one of {list(BUILD_NAMES)}, got {name!r}")
    return BUILD_NAMES.index(name)


# ---------------------------------------------------------------------------------------------- the state
class DuelState(NamedTuple):
    """The batch of duels as typed arrays (every array and shape in the module docstring)."""

    build: np.ndarray
    stats: np.ndarray
    hp: np.ndarray
    prayer: np.ndarray
    drain: np.ndarray
    spec: np.ndarray
    spec_armed: np.ndarray
    pos_x: np.ndarray
    pos_y: np.ndarray
    dest_x: np.ndarray
    dest_y: np.ndarray
    target: np.ndarray
    attack_timer: np.ndarray
    selected_spell: np.ndarray
    pending_spell: np.ndarray
    frozen: np.ndarray
    freeze_immune: np.ndarray
    eat_timer: np.ndarray
    combo_timer: np.ndarray
    pending_heal: np.ndarray
    protect: np.ndarray
    boost: np.ndarray
    open_tab: np.ndarray
    cursor_x: np.ndarray
    cursor_y: np.ndarray
    equipment: np.ndarray
    inventory: np.ndarray
    dealt: np.ndarray
    taken: np.ndarray
    hitsplat: np.ndarray
    last_style: np.ndarray
    total_dealt: np.ndarray
    tick: np.ndarray
    done: np.ndarray
    winner: np.ndarray
    rng_state: np.ndarray
    bot_rng: np.ndarray
    # Rules v1 (all zero and unused under v0)
    rules: np.ndarray
    pot_timer: np.ndarray
    fresh_protect: np.ndarray
    fresh_boost: np.ndarray
    hit_tick: np.ndarray
    hit_damage: np.ndarray
    hit_style: np.ndarray
    hit_freeze: np.ndarray
    hit_heal: np.ndarray
    pid_first: np.ndarray
    pid_timer: np.ndarray

    @classmethod
    def allocate(cls, num_envs: int, rules: int = LATEST_RULES) -> DuelState:
        """Zeroed arrays for ``num_envs`` duels under rule set ``rules`` (``RULES_V0`` or ``RULES_V1``); call
        ``reset_envs`` before stepping."""
        n, p = int(num_envs), NUM_PLAYERS
        if n < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs!r}")
        if isinstance(rules, bool) or not isinstance(rules, (int, np.integer)) or int(rules) not in RULE_SETS:
            raise ValueError(f"rules must be one of {list(RULE_SETS)} (TickDuel-v0, TickDuel-v1), got {rules!r}")
        hits = lambda: np.zeros((n, p, MAX_PENDING_HITS), np.int64)  # noqa: E731
        i64 = lambda: np.zeros((n, p), np.int64)  # noqa: E731
        return cls(
            build=np.zeros((n, p), np.int8), stats=np.zeros((n, p, 7), np.int64), hp=i64(), prayer=i64(),
            drain=i64(), spec=i64(), spec_armed=np.zeros((n, p), np.uint8), pos_x=i64(), pos_y=i64(),
            dest_x=i64(), dest_y=i64(), target=np.zeros((n, p), np.uint8), attack_timer=i64(),
            selected_spell=i64(), pending_spell=i64(), frozen=i64(), freeze_immune=i64(), eat_timer=i64(),
            combo_timer=i64(), pending_heal=i64(), protect=i64(), boost=i64(), open_tab=i64(),
            cursor_x=np.zeros((n, p), np.float64), cursor_y=np.zeros((n, p), np.float64),
            equipment=np.zeros((n, p, EQUIP_SLOTS), np.int64),
            inventory=np.zeros((n, p, INVENTORY_SLOTS), np.int64), dealt=i64(), taken=i64(), hitsplat=i64(),
            last_style=i64(), total_dealt=i64(), tick=np.zeros(n, np.int64), done=np.zeros(n, np.uint8),
            winner=np.full(n, -1, np.int64), rng_state=np.zeros(n, np.uint64),
            bot_rng=np.zeros((n, p), np.uint64), rules=np.full(n, rules, np.uint8),
            pot_timer=np.zeros((n, p), np.int64), fresh_protect=np.zeros((n, p), np.uint8),
            fresh_boost=np.zeros((n, p), np.uint8), hit_tick=np.full((n, p, MAX_PENDING_HITS), NO_LANDING, np.int64),
            hit_damage=hits(), hit_style=hits(), hit_freeze=hits(), hit_heal=hits(), pid_first=np.zeros(n, np.int64),
            pid_timer=np.zeros(n, np.int64),
        )

    def copy(self) -> DuelState:
        return DuelState(*[np.array(a, copy=True) for a in self])

    def env(self, i: int) -> DuelState:
        """Env ``i`` as a batch of one (copies)."""
        return DuelState(*[np.array(a[i:i + 1], copy=True) for a in self])


# ---------------------------------------------------------------------------------------------- layout helpers
@njit(**NO_NRT)
def tab_button_rect(tab: int) -> tuple[float, float, float, float]:
    return float(TAB_X0 + TAB_W * tab), float(TAB_Y0), float(TAB_W), float(TAB_H)


@njit(**NO_NRT)
def inventory_slot_rect(slot: int) -> tuple[float, float, float, float]:
    col = slot % INV_COLS
    row = slot // INV_COLS
    return float(INV_X0 + INV_W * col), float(INV_Y0 + INV_H * row), float(INV_W), float(INV_H)


@njit(**NO_NRT)
def prayer_rect(cell: int) -> tuple[float, float, float, float]:
    col = cell % PRAY_COLS
    row = cell // PRAY_COLS
    return float(PRAY_X0 + PRAY_CELL * col), float(PRAY_Y0 + PRAY_CELL * row), float(PRAY_CELL), float(PRAY_CELL)


@njit(**NO_NRT)
def spell_rect(spell: int) -> tuple[float, float, float, float]:
    return float(SPELL_X0 + SPELL_CELL * spell), float(SPELL_Y0), float(SPELL_CELL), float(SPELL_CELL)


@njit(**NO_NRT)
def tile_rect(tx: int, ty: int) -> tuple[float, float, float, float]:
    return float(ARENA_X0 + TILE_PX * tx), float(ARENA_Y0 + TILE_PX * ty), float(TILE_PX), float(TILE_PX)


@njit(**NO_NRT)
def view_x(p: int, x: int) -> int:
    """Tile column ``x`` as player ``p`` sees it (and back: the turn is its own inverse)."""
    return x if p == 0 else ARENA_W - 1 - x


@njit(**NO_NRT)
def view_y(p: int, y: int) -> int:
    return y if p == 0 else ARENA_H - 1 - y


@kernel_helper
def _inside(x: float, y: float, rx: float, ry: float, rw: float, rh: float) -> bool:
    """Whether (x, y) lies in the rectangle ``rx, ry, rw, rh`` (half-open pixel ranges)."""
    return rx <= x < rx + rw and ry <= y < ry + rh


@njit(**NO_NRT)
def protect_cell(style: int) -> int:
    """The prayer-book cell that protects from ``style``."""
    if style == MAGIC:
        return PRAYER_PROTECT_MAGIC
    if style == RANGED:
        return PRAYER_PROTECT_MISSILES
    return PRAYER_PROTECT_MELEE


@njit(**NO_NRT)
def boost_cell(style: int) -> int:
    """The prayer-book cell that boosts ``style`` (the boost cells are in style order)."""
    return PRAYER_BOOST_MELEE + style


# ---------------------------------------------------------------------------------------------- reset
@kernel_helper
def draw_pid(s: DuelState, i: int) -> None:
    """Rules v1: a fresh PID order (either seat first, fairly) for the next U{100..150} ticks [OSRS wiki, PID]."""
    s.pid_first[i] = rng.randint(s.rng_state, i, NUM_PLAYERS)
    s.pid_timer[i] = PID_SHUFFLE_MIN + rng.randint(s.rng_state, i, PID_SHUFFLE_MAX - PID_SHUFFLE_MIN + 1)


@njit(**NO_NRT)
def reset_env(s: DuelState, i: int, build0: int, build1: int) -> None:
    """Start duel ``i`` with the given builds: full stats, start gear, start tiles, timers cleared."""
    for p in range(NUM_PLAYERS):
        build = build0 if p == 0 else build1
        s.build[i, p] = build
        for k in range(NUM_STATS):
            s.stats[i, p, k] = BUILD_STATS[build, k]
        s.hp[i, p] = BUILD_STATS[build, S_HP]
        s.prayer[i, p] = BUILD_STATS[build, S_PRAY]
        s.drain[i, p] = 0
        s.spec[i, p] = SPEC_MAX
        s.spec_armed[i, p] = 0
        s.pos_x[i, p] = START_POSITIONS[p, 0]
        s.pos_y[i, p] = START_POSITIONS[p, 1]
        s.dest_x[i, p] = NO_TILE
        s.dest_y[i, p] = NO_TILE
        s.target[i, p] = 0
        s.attack_timer[i, p] = 0
        s.selected_spell[i, p] = NO_SPELL
        s.pending_spell[i, p] = NO_SPELL
        s.frozen[i, p] = 0
        s.freeze_immune[i, p] = 0
        s.eat_timer[i, p] = 0
        s.combo_timer[i, p] = 0
        s.pending_heal[i, p] = 0
        s.protect[i, p] = NO_STYLE
        s.boost[i, p] = NO_STYLE
        s.open_tab[i, p] = TAB_INVENTORY
        s.cursor_x[i, p] = SCREEN_W / 2.0
        s.cursor_y[i, p] = SCREEN_H / 2.0
        for k in range(EQUIP_SLOTS):
            s.equipment[i, p, k] = START_EQUIPMENT[build, k]
        for k in range(INVENTORY_SLOTS):
            s.inventory[i, p, k] = START_INVENTORY_BY_RULES[s.rules[i], build, k]
        s.pot_timer[i, p] = 0
        s.fresh_protect[i, p] = 0
        s.fresh_boost[i, p] = 0
        for k in range(MAX_PENDING_HITS):
            s.hit_tick[i, p, k] = NO_LANDING
            s.hit_damage[i, p, k] = 0
            s.hit_style[i, p, k] = 0
            s.hit_freeze[i, p, k] = 0
            s.hit_heal[i, p, k] = 0
        s.dealt[i, p] = 0
        s.taken[i, p] = 0
        s.hitsplat[i, p] = NO_HIT
        s.last_style[i, p] = NO_STYLE
        s.total_dealt[i, p] = 0
    s.tick[i] = 0
    s.done[i] = 0
    s.winner[i] = WINNER_NONE
    s.pid_first[i] = 0
    s.pid_timer[i] = 0
    if s.rules[i] >= RULES_V1:
        draw_pid(s, i)
    # Bot streams: fixed odd offsets of the game word (SplitMix64 outputs of nearby words are unrelated).
    for p in range(NUM_PLAYERS):
        s.bot_rng[i, p] = s.rng_state[i] ^ BOT_STREAM_KEYS[p]


@njit(**NO_NRT)
def reset_envs(s: DuelState, mask: np.ndarray, builds: np.ndarray, random_builds: np.ndarray) -> None:
    """Reset every env with ``mask[i]``; ``builds[i, p]`` the build, or a random one where ``random_builds[i]``."""
    for i in range(mask.shape[0]):
        if not mask[i]:
            continue
        build0 = builds[i, 0]
        build1 = builds[i, 1]
        if random_builds[i]:
            build0 = rng.randint(s.rng_state, i, NUM_BUILDS)
            build1 = rng.randint(s.rng_state, i, NUM_BUILDS)
        reset_env(s, i, build0, build1)


# ---------------------------------------------------------------------------------------------- input
@njit(**NO_NRT)
def sort_events(events: np.ndarray, count: int, order: np.ndarray) -> None:
    """Write into ``order[:count]`` the indices of the first ``count`` events in a stable sort by time.

    Insertion sort: stable, no allocation, and fast for the tens of nearly sorted events a tick holds.
    """
    for k in range(count):
        order[k] = k
    for k in range(1, count):
        cur = order[k]
        t = events[cur, F_TIME]
        j = k - 1
        while j >= 0 and events[order[j], F_TIME] > t:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = cur


@njit(cache=True, nogil=True, inline="always")
def base_level(s: DuelState, i: int, p: int, stat: int) -> int:
    """The unboosted level of ``stat`` (``stats`` holds the current, boosted or drained, levels)."""
    return BUILD_STATS[s.build[i, p], stat]


@njit(cache=True, nogil=True, inline="always")
def heal(s: DuelState, i: int, p: int, amount: int, overheal: bool) -> None:
    """Heal ``amount`` hitpoints, up to the base hitpoints, or up to base + ``amount`` for overhealing food; a
    player already above the cap keeps what it has."""
    cap = base_level(s, i, p, S_HP) + (amount if overheal else 0)
    if s.hp[i, p] < cap:
        s.hp[i, p] = min(s.hp[i, p] + amount, cap)


@njit(cache=True, nogil=True, inline="always")
def boost_stat(s: DuelState, i: int, p: int, stat: int, amount: int) -> None:
    """Raise ``stat`` by ``amount``, to at most base + ``amount`` (a higher boost is kept)."""
    cap = base_level(s, i, p, stat) + amount
    if s.stats[i, p, stat] < cap:
        s.stats[i, p, stat] = min(s.stats[i, p, stat] + amount, cap)


@kernel_helper  # not inlined: compiled once, not at every call site (cold compile time)
def drink(s: DuelState, i: int, p: int, kind: int) -> None:
    """A dose of potion ``kind`` [RuneLite ItemStatChanges; OSRS wiki item pages]."""
    if kind == POT_BREW:  # heal and defence above the base; attack, strength, ranged and magic drained
        heal(s, i, p, base_level(s, i, p, S_HP) * 15 // 100 + 2, True)
        boost_stat(s, i, p, S_DEF, base_level(s, i, p, S_DEF) * 20 // 100 + 2)
        for stat in (S_ATT, S_STR, S_RNG, S_MAG):
            s.stats[i, p, stat] = max(s.stats[i, p, stat] - (s.stats[i, p, stat] * 10 // 100 + 2), 0)
    elif kind == POT_RESTORE:  # drained levels and prayer points back toward the base, never above
        for stat in (S_ATT, S_STR, S_DEF, S_RNG, S_MAG):
            base = base_level(s, i, p, stat)
            if s.stats[i, p, stat] < base:
                s.stats[i, p, stat] = min(s.stats[i, p, stat] + base * 25 // 100 + 8, base)
        base = base_level(s, i, p, S_PRAY)
        if s.prayer[i, p] < base:
            s.prayer[i, p] = min(s.prayer[i, p] + base * 25 // 100 + 8, base)
    elif kind == POT_COMBAT:
        for stat in (S_ATT, S_STR, S_DEF):
            boost_stat(s, i, p, stat, base_level(s, i, p, stat) * 15 // 100 + 5)
    else:  # ranging
        boost_stat(s, i, p, S_RNG, base_level(s, i, p, S_RNG) * 10 // 100 + 4)


@njit(cache=True, nogil=True, inline="always")
def delay_attack_v1(s: DuelState, i: int, p: int, ticks: int) -> None:
    """Rules v1: eating pushes the next attack back ``ticks`` ticks. v1 counts the timer down *before* the attack,
    so a ready timer (0) and one due this boundary (1) both mean "attacks at this boundary": both start from 1."""
    s.attack_timer[i, p] = max(s.attack_timer[i, p], 1) + ticks


@kernel_helper  # not inlined: compiled once, not at every call site (cold compile time)
def consume_v1(s: DuelState, i: int, p: int, slot: int, item: int) -> None:
    """Rules v1: eat or drink the item in ``slot``, at once, if its timer lets it.

    Three timers decide [RuneLite; runedocs, queue]: food needs ``eat_timer`` at 0 and sets it (attack +3);
    a potion needs ``pot_timer`` at 0 and sets both it and ``eat_timer``; a karambwan needs ``combo_timer`` at 0
    and sets all three (attack +2). So food, then a potion, then a karambwan all go down in one tick, in that
    click order only.
    """
    food = ITEM_FOOD[item]
    if food == FOOD_NORMAL:
        if s.eat_timer[i, p] > 0:
            return
        amount = ITEM_HEAL[item]
        if ITEM_OVERHEAL[item] == 1:  # anglerfish: floor(hitpoints / 10) + 13 at 99 hitpoints
            amount = base_level(s, i, p, S_HP) // 10 + 13
        heal(s, i, p, amount, ITEM_OVERHEAL[item] == 1)
        s.eat_timer[i, p] = EAT_DELAY
        delay_attack_v1(s, i, p, FOOD_ATTACK_DELAY)
        s.inventory[i, p, slot] = ITEM_EMPTY
    elif food == FOOD_COMBO:
        if s.combo_timer[i, p] > 0:
            return
        heal(s, i, p, ITEM_HEAL[item], False)
        s.combo_timer[i, p] = EAT_DELAY
        s.eat_timer[i, p] = EAT_DELAY
        s.pot_timer[i, p] = POTION_DELAY
        delay_attack_v1(s, i, p, COMBO_ATTACK_DELAY)
        s.inventory[i, p, slot] = ITEM_EMPTY
    elif food == FOOD_POTION:
        if s.pot_timer[i, p] > 0:
            return
        drink(s, i, p, ITEM_POTION[item])
        s.pot_timer[i, p] = POTION_DELAY
        s.eat_timer[i, p] = EAT_DELAY
        s.inventory[i, p, slot] = ITEM_NEXT_DOSE[item]


@kernel_helper  # not inlined: compiled once, not at every call site (cold compile time)
def equip_two_handed_v1(s: DuelState, i: int, p: int, slot: int, item: int, equip_slot: int) -> bool:
    """Rules v1, two-handed weapons [OSRS wiki, Two-handed]: wielding one takes the shield off too, into a free
    inventory slot (with none, the click does nothing, as the client refuses it); a shield put on takes a
    two-handed weapon off, into the slot the shield leaves. Returns True when it handled the click."""
    if equip_slot == SLOT_WEAPON and ITEM_TWO_HANDED[item] == 1 and s.equipment[i, p, SLOT_SHIELD] != ITEM_EMPTY:
        free = find_item(s, i, p, ITEM_EMPTY)
        if free >= 0:
            s.inventory[i, p, free] = s.equipment[i, p, SLOT_SHIELD]
            s.equipment[i, p, SLOT_SHIELD] = ITEM_EMPTY
            s.inventory[i, p, slot] = s.equipment[i, p, SLOT_WEAPON]
            s.equipment[i, p, SLOT_WEAPON] = item
            s.spec_armed[i, p] = 0
        return True
    if equip_slot == SLOT_SHIELD and ITEM_TWO_HANDED[s.equipment[i, p, SLOT_WEAPON]] == 1:
        s.inventory[i, p, slot] = s.equipment[i, p, SLOT_WEAPON]  # the shield slot was empty under a 2h weapon
        s.equipment[i, p, SLOT_WEAPON] = ITEM_EMPTY
        s.equipment[i, p, SLOT_SHIELD] = item
        s.spec_armed[i, p] = 0
        return True
    return False


@njit(cache=True, nogil=True, inline="always")
def find_item(s: DuelState, i: int, p: int, item: int) -> int:
    """The first inventory slot of player ``p`` holding ``item``, or -1."""
    for k in range(INVENTORY_SLOTS):
        if s.inventory[i, p, k] == item:
            return k
    return -1


@njit(cache=True, nogil=True, inline="always")
def equip_or_eat(s: DuelState, i: int, p: int, slot: int) -> None:
    """A left click on inventory slot ``slot``: equip (swap with the worn item) or eat."""
    item = s.inventory[i, p, slot]
    if item == ITEM_EMPTY:
        return
    food = ITEM_FOOD[item]
    if food != FOOD_NONE and s.rules[i] >= RULES_V1:
        consume_v1(s, i, p, slot, item)
        return
    if food == FOOD_NORMAL:
        if s.eat_timer[i, p] <= 0:
            s.inventory[i, p, slot] = ITEM_EMPTY
            s.pending_heal[i, p] += ITEM_HEAL[item]
            s.eat_timer[i, p] = EAT_DELAY
            s.attack_timer[i, p] += FOOD_ATTACK_DELAY
        return
    if food == FOOD_COMBO:
        if s.combo_timer[i, p] <= 0:
            s.inventory[i, p, slot] = ITEM_EMPTY
            s.pending_heal[i, p] += ITEM_HEAL[item]
            s.combo_timer[i, p] = EAT_DELAY
            s.attack_timer[i, p] += COMBO_ATTACK_DELAY
        return
    equip_slot = ITEM_SLOT[item]
    if equip_slot == NO_SLOT:
        return
    if s.rules[i] >= RULES_V1 and equip_two_handed_v1(s, i, p, slot, item, equip_slot):
        return
    s.inventory[i, p, slot] = s.equipment[i, p, equip_slot]
    s.equipment[i, p, equip_slot] = item
    if equip_slot == SLOT_WEAPON:
        s.spec_armed[i, p] = 0


@njit(cache=True, nogil=True, inline="always")
def toggle_prayer(s: DuelState, i: int, p: int, cell: int) -> None:
    if s.prayer[i, p] <= 0:
        return
    style = PRAYER_STYLE[cell]
    v1 = s.rules[i] >= RULES_V1
    if PRAYER_IS_PROTECT[cell] == 1:
        s.protect[i, p] = NO_STYLE if s.protect[i, p] == style else style
        if v1:  # switched on this tick: it drains nothing at this boundary (flicking)
            s.fresh_protect[i, p] = 1 if s.protect[i, p] != NO_STYLE else 0
    else:
        s.boost[i, p] = NO_STYLE if s.boost[i, p] == style else style
        if v1:
            s.fresh_boost[i, p] = 1 if s.boost[i, p] != NO_STYLE else 0


@njit(cache=True, nogil=True, inline="always")
def toggle_spec(s: DuelState, i: int, p: int) -> None:
    cost = ITEM_SPEC_COST[s.equipment[i, p, SLOT_WEAPON]]
    if s.spec_armed[i, p] == 1:
        s.spec_armed[i, p] = 0
    elif cost > 0 and s.spec[i, p] >= cost:
        s.spec_armed[i, p] = 1


@njit(cache=True, nogil=True, inline="always")
def click_side_panel(s: DuelState, i: int, p: int, x: float, y: float) -> None:
    """A left click inside the side panel: it acts on the grid of the tab open at this moment."""
    tab = s.open_tab[i, p]
    if tab == TAB_INVENTORY:
        if _inside(x, y, INV_X0, INV_Y0, INV_W * INV_COLS, INV_H * INV_ROWS):
            slot = int((y - INV_Y0) // INV_H) * INV_COLS + int((x - INV_X0) // INV_W)
            equip_or_eat(s, i, p, slot)
    elif tab == TAB_PRAYER:
        if _inside(x, y, PRAY_X0, PRAY_Y0, PRAY_CELL * PRAY_COLS, PRAY_CELL * PRAY_ROWS):
            cell = int((y - PRAY_Y0) // PRAY_CELL) * PRAY_COLS + int((x - PRAY_X0) // PRAY_CELL)
            toggle_prayer(s, i, p, cell)
    elif tab == TAB_MAGIC:
        if _inside(x, y, SPELL_X0, SPELL_Y0, SPELL_CELL * NUM_SPELLS, SPELL_CELL):
            spell = int((x - SPELL_X0) // SPELL_CELL)
            if s.stats[i, p, S_MAG] >= SPELL_LEVEL[spell]:
                s.selected_spell[i, p] = spell
    elif tab == TAB_COMBAT:
        if _inside(x, y, SPEC_BAR[0], SPEC_BAR[1], SPEC_BAR[2], SPEC_BAR[3]):
            toggle_spec(s, i, p)


@njit(cache=True, nogil=True, inline="always")
def click_tile(s: DuelState, i: int, p: int, x: float, y: float, spell: int) -> None:
    """A left click on an arena tile: the opponent's tile attacks (casting ``spell`` if one was selected), any
    other tile walks there."""
    tx = view_x(p, int((x - ARENA_X0) // TILE_PX))
    ty = view_y(p, int((y - ARENA_Y0) // TILE_PX))
    o = 1 - p
    if tx == s.pos_x[i, o] and ty == s.pos_y[i, o]:
        s.target[i, p] = 1
        s.pending_spell[i, p] = spell
        s.dest_x[i, p] = NO_TILE
        s.dest_y[i, p] = NO_TILE
    else:
        s.target[i, p] = 0
        s.pending_spell[i, p] = NO_SPELL
        s.dest_x[i, p] = tx
        s.dest_y[i, p] = ty


@njit(cache=True, nogil=True, inline="always")
def left_click(s: DuelState, i: int, p: int, x: float, y: float) -> None:
    """A left click at (x, y) against the client as it is now (see the layout table)."""
    spell = s.selected_spell[i, p]
    s.selected_spell[i, p] = NO_SPELL  # any click ends a spell selection; a spell click below sets a new one
    for k in range(NUM_TABS):
        rx, ry, rw, rh = tab_button_rect(k)
        if _inside(x, y, rx, ry, rw, rh):
            s.open_tab[i, p] = k
            return
    if _inside(x, y, SPEC_ORB[0], SPEC_ORB[1], SPEC_ORB[2], SPEC_ORB[3]):
        toggle_spec(s, i, p)
        return
    if _inside(x, y, SIDE_PANEL[0], SIDE_PANEL[1], SIDE_PANEL[2], SIDE_PANEL[3]):
        click_side_panel(s, i, p, x, y)
        return
    if _inside(x, y, ARENA_X0, ARENA_Y0, TILE_PX * ARENA_W, TILE_PX * ARENA_H):
        click_tile(s, i, p, x, y, spell)


@njit(cache=True, nogil=True, inline="always")
def apply_events(s: DuelState, i: int, p: int, events: np.ndarray, count: int, order: np.ndarray) -> None:
    """Interpret player ``p``'s first ``count`` events in time order (integer fields rounded)."""
    sort_events(events, count, order)
    for k in range(count):
        event = order[k]
        etype = int(np.rint(events[event, F_TYPE]))
        x = float(events[event, F_X])
        y = float(events[event, F_Y])
        if etype == EV_KEY_DOWN:
            key = int(np.rint(events[event, F_KEY]))
            if KEY_F1 <= key < KEY_F1 + NUM_TABS:
                s.open_tab[i, p] = key - KEY_F1
            continue
        if etype == EV_KEY_UP:
            continue
        s.cursor_x[i, p] = x
        s.cursor_y[i, p] = y
        if etype == EV_LEFT_CLICK:
            left_click(s, i, p, x, y)
        elif etype == EV_RIGHT_CLICK:
            s.selected_spell[i, p] = NO_SPELL


# ---------------------------------------------------------------------------------------------- combat
@njit(cache=True, nogil=True, inline="always")
def gear_bonus(s: DuelState, i: int, p: int, kind: int, style: int) -> float:
    """Sum of a bonus (``BONUS_ATTACK``, ``BONUS_DEFENCE`` or ``BONUS_STRENGTH``) in ``style`` over the worn items."""
    total = 0.0
    rules = s.rules[i]
    for k in range(EQUIP_SLOTS):
        item = s.equipment[i, p, k]
        if kind == BONUS_ATTACK:
            total += ITEM_ATT_BY_RULES[rules, item, style]
        elif kind == BONUS_DEFENCE:
            total += ITEM_DEF_BY_RULES[rules, item, style]
        else:
            total += ITEM_STR_BY_RULES[rules, item, style]
    return total


@njit(cache=True, nogil=True, inline="always")
def gear_prayer(s: DuelState, i: int, p: int) -> int:
    """The prayer bonus of the worn items (it slows the prayer drain)."""
    total = 0
    for k in range(EQUIP_SLOTS):
        total += ITEM_PRAYER_BY_RULES[s.rules[i], s.equipment[i, p, k]]
    return total


@njit(cache=True, nogil=True, inline="always")
def top_boosts(s: DuelState, i: int, p: int) -> bool:
    """Whether player ``p`` has the defence for the top-tier boost prayers (piety, rigour, augury)."""
    return s.stats[i, p, S_DEF] >= TOP_BOOST_DEFENCE


@njit(cache=True, nogil=True, inline="always")
def boost_mult(s: DuelState, i: int, p: int, style: int, kind: int) -> float:
    """Prayer multiplier of player ``p`` for ``style``: ``kind`` ``BONUS_ATTACK``, ``BONUS_STRENGTH`` or
    ``BONUS_DEFENCE`` (any active boost raises defence, top tier only)."""
    boost = s.boost[i, p]
    if kind == BONUS_DEFENCE:
        if boost >= 0 and top_boosts(s, i, p):
            return BOOST_TOP_DEF[boost]
        return 1.0
    if boost != style:
        return 1.0
    top = top_boosts(s, i, p)
    if kind == BONUS_ATTACK:
        return BOOST_TOP_ATT[style] if top else BOOST_LOW_ATT[style]
    return BOOST_TOP_STR[style] if top else BOOST_LOW_STR[style]


@njit(**NO_NRT)
def hit_chance(att_roll: float, def_roll: float) -> float:
    """The OSRS accuracy formula [OSRS wiki, Combat]."""
    if att_roll > def_roll:
        return 1.0 - (def_roll + 2.0) / (2.0 * (att_roll + 1.0))
    return att_roll / (2.0 * (def_roll + 1.0))


@njit(cache=True, nogil=True, inline="always")
def attack_rolls(s: DuelState, i: int, p: int, style: int, spell: int) -> tuple[float, float, int]:
    """(attack roll of ``p``, defence roll of the opponent, max hit of ``p``) for an attack in ``style``.

    Effective levels add 8 and equipment bonuses 64, and the melee / ranged max hit divides by 640, as in the
    formulas of the module docstring [OSRS wiki, Combat / Maximum hit].
    """
    o = 1 - p
    if style == MELEE:
        level = s.stats[i, p, S_ATT]
        str_level = s.stats[i, p, S_STR]
    elif style == RANGED:
        level = s.stats[i, p, S_RNG]
        str_level = s.stats[i, p, S_RNG]
    else:
        level = s.stats[i, p, S_MAG]
        str_level = 0
    v1 = s.rules[i] >= RULES_V1
    eff_att = np.floor(level * boost_mult(s, i, p, style, BONUS_ATTACK)) + 8.0
    if v1 and style == MAGIC:
        eff_att += MAGIC_ACCURACY_BONUS - 8.0
    att_roll = eff_att * (gear_bonus(s, i, p, BONUS_ATTACK, style) + 64.0)
    defence_mult = boost_mult(s, i, o, style, BONUS_DEFENCE)
    if style == MAGIC and v1:  # each part floored, augury's +25 % on the magic part [osrs-dps-calc, PvP]
        magic_mult = BOOST_TOP_DEF[MAGIC] if s.boost[i, o] == MAGIC and top_boosts(s, i, o) else 1.0
        def_level = np.floor(0.7 * np.floor(s.stats[i, o, S_MAG] * magic_mult)) \
            + np.floor(0.3 * np.floor(s.stats[i, o, S_DEF] * defence_mult))
    elif style == MAGIC:  # magic defence mixes the magic and defence levels [OSRS wiki, Magic defence, PvP]
        def_level = np.floor(0.7 * s.stats[i, o, S_MAG] + 0.3 * np.floor(s.stats[i, o, S_DEF] * defence_mult))
    else:
        def_level = np.floor(s.stats[i, o, S_DEF] * defence_mult)
    def_roll = (def_level + 8.0) * (gear_bonus(s, i, o, BONUS_DEFENCE, style) + 64.0)
    if style == MAGIC:
        base = SPELL_MAX_HIT[spell]
        max_hit = int(np.floor(base * (1.0 + gear_bonus(s, i, p, BONUS_STRENGTH, MAGIC) / 100.0)))
    else:
        eff_str = np.floor(str_level * boost_mult(s, i, p, style, BONUS_STRENGTH)) + 8.0
        if v1 and style == MELEE:
            eff_str += STANCE_MELEE_STRENGTH
        max_hit = int(np.floor(0.5 + eff_str * (gear_bonus(s, i, p, BONUS_STRENGTH, style) + 64.0) / 640.0))
    return att_roll, def_roll, max_hit


@njit(cache=True, nogil=True, inline="always")
def in_range(s: DuelState, i: int, p: int, style: int) -> bool:
    """Whether player ``p`` can attack the opponent in ``style`` from where both stand."""
    o = 1 - p
    dx = abs(s.pos_x[i, p] - s.pos_x[i, o])
    dy = abs(s.pos_y[i, p] - s.pos_y[i, o])
    if style == MELEE:
        return dx + dy == 1
    reach = RANGE_RANGED if style == RANGED else RANGE_MAGIC
    return max(dx, dy) <= reach and dx + dy > 0


@njit(cache=True, nogil=True, inline="always")
def attack_style(s: DuelState, i: int, p: int) -> int:
    """The style of ``p``'s next attack: a pending spell is magic, else the wielded weapon's style."""
    if s.pending_spell[i, p] != NO_SPELL:
        return MAGIC
    style = ITEM_STYLE[s.equipment[i, p, SLOT_WEAPON]]
    return MELEE if style == NO_STYLE else style


@njit(cache=True, nogil=True, inline="always")
def step_toward(s: DuelState, i: int, p: int, tx: int, ty: int, stop_adjacent: bool) -> None:
    """Run up to ``RUN_TILES`` tiles toward (tx, ty), never onto the opponent's tile."""
    o = 1 - p
    for _ in range(RUN_TILES):
        x = s.pos_x[i, p]
        y = s.pos_y[i, p]
        if stop_adjacent and abs(x - tx) + abs(y - ty) == 1:
            return
        if x == tx and y == ty:
            return
        # Diagonal steps first, as the OSRS pathfinder does on open ground; no diagonal into melee range.
        next_x = x + (1 if tx > x else (-1 if tx < x else 0))
        next_y = y + (1 if ty > y else (-1 if ty < y else 0))
        if stop_adjacent and next_x != x and next_y != y and abs(next_x - tx) + abs(next_y - ty) == 0:
            next_y = y
        if next_x == s.pos_x[i, o] and next_y == s.pos_y[i, o]:
            if next_x != x and next_y != y:
                next_y = y  # slide along x
                if next_x == s.pos_x[i, o] and next_y == s.pos_y[i, o]:
                    return
            else:
                return
        s.pos_x[i, p] = next_x
        s.pos_y[i, p] = next_y


@njit(cache=True, nogil=True, inline="always")
def roll_hits(s: DuelState, i: int, o: int, style: int, chance: float, hits: int, max_hit: int,
              damage_mult: float) -> tuple[int, bool]:
    """``hits`` rolls against ``o``: each accurate with ``chance``, then uniform 0..max (times ``damage_mult``),
    cut by ``o``'s protection prayer against ``style``. Returns (total damage, whether any roll was accurate)."""
    total = 0
    landed = False
    for _ in range(hits):
        if rng.uniform(s.rng_state, i) < chance:
            landed = True
            damage = int(np.floor(rng.randint(s.rng_state, i, max_hit + 1) * damage_mult))
            if s.protect[i, o] == style:
                damage = int(np.floor(damage * PROTECT_FACTOR))
            total += damage
    return total, landed


@njit(cache=True, nogil=True, inline="always")
def do_attack(s: DuelState, i: int, p: int) -> tuple[int, int, int, bool]:
    """Player ``p``'s attack at this boundary, if its timer is ready and the target in range.

    Returns (damage to the opponent, freeze ticks for the opponent, healing for ``p``, attacked).
    """
    o = 1 - p
    if s.target[i, p] == 0 or s.attack_timer[i, p] > 0:
        return 0, 0, 0, False
    style = attack_style(s, i, p)
    if not in_range(s, i, p, style):
        return 0, 0, 0, False
    spell = s.pending_spell[i, p]
    if style == MAGIC and spell == NO_SPELL:
        spell = SPELL_BLOOD_BARRAGE  # a staff autocasts blood barrage
    att_roll, def_roll, max_hit = attack_rolls(s, i, p, style, spell)
    weapon = s.equipment[i, p, SLOT_WEAPON]
    hits = 1
    damage_mult = 1.0
    cost = ITEM_SPEC_COST[weapon]
    if s.spec_armed[i, p] == 1 and style == MELEE and cost > 0 and s.spec[i, p] >= cost:
        s.spec[i, p] -= cost
        att_roll *= ITEM_SPEC_ACC[weapon]
        damage_mult = ITEM_SPEC_DMG[weapon]
        hits = ITEM_SPEC_HITS[weapon]
    s.spec_armed[i, p] = 0
    total, landed = roll_hits(s, i, o, style, hit_chance(att_roll, def_roll), hits, max_hit, damage_mult)
    freeze = 0
    heal = 0
    if style == MAGIC and spell == SPELL_ICE_BARRAGE and landed:
        freeze = FREEZE_TICKS // 2 if s.protect[i, o] == MAGIC else FREEZE_TICKS
    if style == MAGIC and spell == SPELL_BLOOD_BARRAGE:
        heal = int(np.floor(min(total, s.hp[i, o]) * BLOOD_HEAL_FRACTION))
    s.last_style[i, p] = style
    s.attack_timer[i, p] = SPELL_SPEED if style == MAGIC else ITEM_SPEED[weapon]
    s.pending_spell[i, p] = NO_SPELL
    return total, freeze, heal, True


@njit(cache=True, nogil=True, inline="always")
def land_hits(s: DuelState, i: int, p: int, damage: int, freeze: int, attacked: bool) -> bool:
    """The opponent's attack lands on player ``p``: hitsplat, damage, freeze (unless frozen or immune).

    Returns True when a new freeze started (it is not counted down at this boundary).
    """
    if attacked:
        s.hitsplat[i, p] = damage
    taken = min(damage, s.hp[i, p])
    s.taken[i, p] = taken
    s.dealt[i, 1 - p] = taken
    s.total_dealt[i, 1 - p] += taken
    s.hp[i, p] -= taken
    if freeze > 0 and s.frozen[i, p] == 0 and s.freeze_immune[i, p] == 0:
        s.frozen[i, p] = freeze
        s.dest_x[i, p] = NO_TILE
        s.dest_y[i, p] = NO_TILE
        return True
    return False


# ---------------------------------------------------------------------------------------------- the tick boundary
@njit(cache=True, nogil=True, inline="always")
def land_food(s: DuelState, i: int) -> None:
    """Boundary phase 1: this tick's food heals (first, so eating in the tick of a big hit can save a player), and
    the records of the last boundary (damage, hitsplats, attack styles) are cleared."""
    for p in range(NUM_PLAYERS):
        if s.pending_heal[i, p] > 0:
            s.hp[i, p] = min(s.hp[i, p] + s.pending_heal[i, p], s.stats[i, p, S_HP])
            s.pending_heal[i, p] = 0
        s.dealt[i, p] = 0
        s.taken[i, p] = 0
        s.hitsplat[i, p] = NO_HIT
        s.last_style[i, p] = NO_STYLE


@njit(cache=True, nogil=True, inline="always")
def move_players(s: DuelState, i: int) -> None:
    """Boundary phase 2: frozen players stay; an attacker out of range closes in on its target, a walker steps
    toward its destination. Who steps first alternates with the tick, so neither seat wins the contested tiles
    every time."""
    for k in range(NUM_PLAYERS):
        move_player(s, i, (k + s.tick[i]) % NUM_PLAYERS)


@njit(cache=True, nogil=True, inline="always")
def move_player(s: DuelState, i: int, p: int) -> None:
    """Player ``p``'s movement: none while frozen; an attacker out of range closes in, a walker walks."""
    if s.frozen[i, p] > 0:
        return
    o = 1 - p
    if s.target[i, p] == 1:
        style = attack_style(s, i, p)
        if not in_range(s, i, p, style):
            step_toward(s, i, p, s.pos_x[i, o], s.pos_y[i, o], style == MELEE)
    elif s.dest_x[i, p] != NO_TILE:
        step_toward(s, i, p, s.dest_x[i, p], s.dest_y[i, p], False)
        if s.pos_x[i, p] == s.dest_x[i, p] and s.pos_y[i, p] == s.dest_y[i, p]:
            s.dest_x[i, p] = NO_TILE
            s.dest_y[i, p] = NO_TILE


@njit(cache=True, nogil=True, inline="always")
def exchange_attacks(s: DuelState, i: int) -> tuple[bool, bool]:
    """Boundary phase 3: both attacks are rolled on the state after the tick's input (so this tick's prayers
    count), then applied together. Returns whether a new freeze started on player 0 and on player 1."""
    damage_by0, freeze_by0, heal_of0, attacked_by0 = do_attack(s, i, 0)
    damage_by1, freeze_by1, heal_of1, attacked_by1 = do_attack(s, i, 1)
    new_freeze1 = land_hits(s, i, 1, damage_by0, freeze_by0, attacked_by0)
    new_freeze0 = land_hits(s, i, 0, damage_by1, freeze_by1, attacked_by1)
    if heal_of0 > 0 and s.hp[i, 0] > 0:
        s.hp[i, 0] = min(s.hp[i, 0] + heal_of0, s.stats[i, 0, S_HP])
    if heal_of1 > 0 and s.hp[i, 1] > 0:
        s.hp[i, 1] = min(s.hp[i, 1] + heal_of1, s.stats[i, 1, S_HP])
    return new_freeze0, new_freeze1


@njit(cache=True, nogil=True, inline="always")
def count_down_timers(s: DuelState, i: int, p: int, new_freeze: bool) -> None:
    """Boundary phase 4a: attack, food and freeze timers of player ``p`` tick down (a freeze that started at
    this boundary does not), and the special-attack energy regenerates."""
    if s.attack_timer[i, p] > 0:
        s.attack_timer[i, p] -= 1
    if s.eat_timer[i, p] > 0:
        s.eat_timer[i, p] -= 1
    if s.combo_timer[i, p] > 0:
        s.combo_timer[i, p] -= 1
    if s.freeze_immune[i, p] > 0:
        s.freeze_immune[i, p] -= 1
    if s.frozen[i, p] > 0 and not new_freeze:
        s.frozen[i, p] -= 1
        if s.frozen[i, p] == 0:
            s.freeze_immune[i, p] = FREEZE_IMMUNITY_TICKS
    if (s.tick[i] + 1) % SPEC_REGEN_TICKS == 0:
        s.spec[i, p] = min(s.spec[i, p] + SPEC_REGEN, SPEC_MAX)


@njit(cache=True, nogil=True, inline="always")
def drain_prayer(s: DuelState, i: int, p: int) -> None:
    """Boundary phase 4b: the active prayers' drain effects feed the counter; a point drains each time it passes
    the resistance, and at 0 points every prayer switches off [OSRS wiki, Prayer]. A prayer switched on during this
    tick's input (``fresh_*``, set only under v1) drains nothing at this boundary: a timer does not run on the
    tick it was queued [RuneLite PrayerPlugin; runedocs], which is what makes flicking pay."""
    rate = 0
    if s.protect[i, p] != NO_STYLE and s.fresh_protect[i, p] == 0:
        rate += PROTECT_DRAIN
    boost = s.boost[i, p]
    if boost != NO_STYLE and s.fresh_boost[i, p] == 0:
        rate += BOOST_TOP_DRAIN[boost] if top_boosts(s, i, p) else BOOST_LOW_DRAIN[boost]
    s.fresh_protect[i, p] = 0
    s.fresh_boost[i, p] = 0
    if rate > 0:
        resistance = PRAYER_RESISTANCE_BASE + 2 * gear_prayer(s, i, p)
        s.drain[i, p] += rate
        while s.drain[i, p] > resistance and s.prayer[i, p] > 0:
            s.drain[i, p] -= resistance
            s.prayer[i, p] -= 1
        if s.prayer[i, p] <= 0:
            s.prayer[i, p] = 0
            s.protect[i, p] = NO_STYLE
            s.boost[i, p] = NO_STYLE


@njit(cache=True, nogil=True, inline="always")
def check_death(s: DuelState, i: int) -> None:
    """Boundary phase 5: a player at 0 hitpoints ends the duel; both at once is a draw."""
    dead0 = s.hp[i, 0] <= 0
    dead1 = s.hp[i, 1] <= 0
    if dead0 or dead1:
        s.done[i] = 1
        s.winner[i] = DRAW if (dead0 and dead1) else (1 if dead0 else 0)
        s.target[i, 0] = 0
        s.target[i, 1] = 0


# ---------------------------------------------------------------------------------------------- rules v1 boundary
@njit(cache=True, nogil=True, inline="always")
def hit_delay(s: DuelState, i: int, p: int, style: int) -> int:
    """Ticks from launch to landing [OSRS wiki, Hit delay]: melee 0, crossbows ``1 + (3 + d) // 6``, spells
    ``1 + (1 + d) // 3``, with ``d`` the Chebyshev distance."""
    o = 1 - p
    d = max(abs(s.pos_x[i, p] - s.pos_x[i, o]), abs(s.pos_y[i, p] - s.pos_y[i, o]))
    if style == RANGED:
        return 1 + (3 + d) // 6
    if style == MAGIC:
        return 1 + (1 + d) // 3
    return 0


@njit(cache=True, nogil=True, inline="always")
def queue_hit(s: DuelState, i: int, p: int, land: int, damage: int, style: int, freeze: int, blood: int) -> None:
    """Put a hit on player ``p`` in flight, landing at tick ``land``. At most two attacks of each side and one
    instant special fly at once, so a slot is always free; were none, the hit would join the soonest one."""
    slot = 0
    for k in range(MAX_PENDING_HITS):
        if s.hit_tick[i, p, k] == NO_LANDING:
            slot = k
            break
        if s.hit_tick[i, p, k] < s.hit_tick[i, p, slot]:
            slot = k
    if s.hit_tick[i, p, slot] != NO_LANDING:
        s.hit_damage[i, p, slot] += damage
        s.hit_freeze[i, p, slot] = max(s.hit_freeze[i, p, slot], freeze)
        return
    s.hit_tick[i, p, slot] = land
    s.hit_damage[i, p, slot] = damage
    s.hit_style[i, p, slot] = style
    s.hit_freeze[i, p, slot] = freeze
    s.hit_heal[i, p, slot] = blood


@njit(cache=True, nogil=True, inline="always")
def launch_attack(s: DuelState, i: int, p: int, target_went_first: bool) -> None:
    """Rules v1: player ``p``'s attack, if its timer is ready (or an instant special is armed) and the target in
    range. Accuracy, damage and the target's protection prayer are rolled now, at launch; the hit lands after its
    delay, one tick later when the target was processed before ``p`` this tick (PID)."""
    o = 1 - p
    weapon = s.equipment[i, p, SLOT_WEAPON]
    cost = ITEM_SPEC_COST[weapon]
    instant = s.spec_armed[i, p] == 1 and ITEM_SPEC_INSTANT[weapon] == 1 and s.spec[i, p] >= cost \
        and in_range(s, i, p, MELEE)
    if not instant and (s.target[i, p] == 0 or s.attack_timer[i, p] > 0):
        return
    style = MELEE if instant else attack_style(s, i, p)
    if not in_range(s, i, p, style):
        return
    spell = s.pending_spell[i, p]
    if style == MAGIC and spell == NO_SPELL:
        spell = SPELL_BLOOD_BARRAGE  # a staff autocasts blood barrage
    att_roll, def_roll, max_hit = attack_rolls(s, i, p, style, spell)
    special = s.spec_armed[i, p] == 1 and style == MELEE and cost > 0 and s.spec[i, p] >= cost
    s.spec_armed[i, p] = 0
    hits = 1
    damage_mult = 1.0
    if special:
        s.spec[i, p] -= cost
        att_roll *= ITEM_SPEC_ACC[weapon]
        damage_mult = ITEM_SPEC_DMG[weapon]
        hits = ITEM_SPEC_HITS[weapon]
    if special and ITEM_SPEC_MAGIC[weapon] == 1:
        # Voidwaker: always hits, uniform [M // 2, M + M // 2] of the melee max, as magic damage [osrs-dps-calc]
        landed = True
        total = max_hit // 2 + rng.randint(s.rng_state, i, max_hit + 1)
        if s.protect[i, o] == MAGIC:
            total = int(np.floor(total * PROTECT_FACTOR))
    else:
        total, landed = roll_hits(s, i, o, style, hit_chance(att_roll, def_roll), hits, max_hit, damage_mult)
    # Ice barrage freezes on an accurate roll, for the full 32 ticks even through Protect from Magic (RuneLite
    # halves only Bind, Snare and Entangle).
    freeze = FREEZE_TICKS if style == MAGIC and spell == SPELL_ICE_BARRAGE and landed else 0
    blood = 1 if style == MAGIC and spell == SPELL_BLOOD_BARRAGE else 0
    land = s.tick[i] + hit_delay(s, i, p, style) + (1 if target_went_first else 0)
    # The queue keeps how the hit travels (a voidwaker special is a melee swing whose damage is magic): what a
    # player sees in flight; the protection prayer has already been applied above.
    queue_hit(s, i, o, land, total, style, freeze, blood)
    s.last_style[i, p] = style
    s.attack_timer[i, p] = SPELL_SPEED if style == MAGIC else ITEM_SPEED[weapon]
    s.pending_spell[i, p] = NO_SPELL


@njit(cache=True, nogil=True, inline="always")
def land_pending_hits(s: DuelState, i: int, p: int) -> bool:
    """Rules v1: the hits in flight on ``p`` that are due land together (one hitsplat, the sum), freeze unless
    frozen or immune, and a blood barrage heals its caster. Returns True when a new freeze started."""
    o = 1 - p
    new_freeze = False
    landed = False
    total = 0
    for k in range(MAX_PENDING_HITS):
        if s.hit_tick[i, p, k] == NO_LANDING or s.hit_tick[i, p, k] > s.tick[i]:
            continue
        landed = True
        taken = min(s.hit_damage[i, p, k], s.hp[i, p])
        s.hp[i, p] -= taken
        total += taken
        if s.hit_heal[i, p, k] == 1 and s.hp[i, o] > 0:
            heal(s, i, o, int(np.floor(taken * BLOOD_HEAL_FRACTION)), False)
        if s.hit_freeze[i, p, k] > 0 and s.frozen[i, p] == 0 and s.freeze_immune[i, p] == 0:
            s.frozen[i, p] = s.hit_freeze[i, p, k]
            s.dest_x[i, p] = NO_TILE
            s.dest_y[i, p] = NO_TILE
            new_freeze = True
        s.hit_tick[i, p, k] = NO_LANDING
        s.hit_damage[i, p, k] = 0
        s.hit_freeze[i, p, k] = 0
        s.hit_heal[i, p, k] = 0
    if landed:
        s.hitsplat[i, p] = total
        s.taken[i, p] = total
        s.dealt[i, o] = total
        s.total_dealt[i, o] += total
    return new_freeze


@kernel_helper  # not inlined: compiled once, not at every call site (cold compile time)
def restore_stats(s: DuelState, i: int, p: int) -> None:
    """Rules v1, once a minute: boosted and drained levels (and overhealed hitpoints) move 1 toward the base."""
    for stat in (S_ATT, S_STR, S_DEF, S_RNG, S_MAG):
        base = base_level(s, i, p, stat)
        if s.stats[i, p, stat] > base:
            s.stats[i, p, stat] -= 1
        elif s.stats[i, p, stat] < base:
            s.stats[i, p, stat] += 1
    if s.hp[i, p] > base_level(s, i, p, S_HP):
        s.hp[i, p] -= 1


@njit(cache=True, nogil=True, inline="always")
def player_phase(s: DuelState, i: int, p: int, target_went_first: bool) -> None:
    """Rules v1: player ``p``'s turn at the boundary, in PID order: due hits land, timers and prayer drain run,
    the player moves, the attack launches. A player killed by the hits landing does nothing more."""
    new_freeze = land_pending_hits(s, i, p)
    if s.hp[i, p] <= 0:
        return
    count_down_timers(s, i, p, new_freeze)
    if s.pot_timer[i, p] > 0:
        s.pot_timer[i, p] -= 1
    drain_prayer(s, i, p)
    move_player(s, i, p)
    launch_attack(s, i, p, target_went_first)


@kernel_helper  # not inlined into step_envs: compiled once (cold compile time); one call a tick
def resolve_tick_v1(s: DuelState, i: int) -> None:
    """Rules v1: the boundary of a tick, after both players' events: each player's phase in PID order, then the
    minute's stat restore, the end of the duel, and the PID draw when its time is up."""
    for p in range(NUM_PLAYERS):
        s.dealt[i, p] = 0
        s.taken[i, p] = 0
        s.hitsplat[i, p] = NO_HIT
        s.last_style[i, p] = NO_STYLE
    # One call site, so the inlined phase is compiled once (two sites doubled the cold compile).
    for k in range(NUM_PLAYERS):
        player_phase(s, i, s.pid_first[i] if k == 0 else 1 - s.pid_first[i], k == 1)
    if (s.tick[i] + 1) % STAT_RESTORE_TICKS == 0:
        for p in range(NUM_PLAYERS):
            restore_stats(s, i, p)
    check_death(s, i)
    s.pid_timer[i] -= 1
    if s.pid_timer[i] <= 0:
        draw_pid(s, i)
    s.tick[i] += 1


@njit(cache=True, nogil=True, inline="always")
def resolve_tick(s: DuelState, i: int) -> None:
    """Everything that happens at the boundary of a tick, after both players' events, in this order."""
    if s.rules[i] >= RULES_V1:
        resolve_tick_v1(s, i)
        return
    land_food(s, i)
    move_players(s, i)
    new_freeze0, new_freeze1 = exchange_attacks(s, i)
    for p in range(NUM_PLAYERS):
        count_down_timers(s, i, p, new_freeze1 if p == 1 else new_freeze0)
        drain_prayer(s, i, p)
    check_death(s, i)
    s.tick[i] += 1


@njit(**NO_NRT)
def step_envs(s: DuelState, events: np.ndarray, counts: np.ndarray, active: np.ndarray, order: np.ndarray) -> None:
    """One tick of every active, unfinished env.

    ``events`` float32 [N, 2, E, 7] and ``counts`` int64 [N, 2]: each player's events of the tick (validated
    by the caller: times in [0, 600), fields in range). ``order`` int64 [E] is scratch.
    """
    for i in range(events.shape[0]):
        if not active[i] or s.done[i]:
            continue
        for p in range(NUM_PLAYERS):
            apply_events(s, i, p, events[i, p], counts[i, p], order)
        resolve_tick(s, i)


# ---------------------------------------------------------------------------------------------- state queries
@njit(**NO_NRT)
def set_worn(s: DuelState, i: int, p: int, kind: int) -> bool:
    """Whether player ``p`` wears every item of its build's gear set ``kind`` (``SET_*``)."""
    build = s.build[i, p]
    for k in range(EQUIP_SLOTS):
        want = GEAR_SETS[build, kind, k]
        if want != ITEM_EMPTY and s.equipment[i, p, k] != want:
            return False
    return True


@njit(**NO_NRT)
def count_items(s: DuelState, i: int, p: int, item: int) -> int:
    """How many inventory slots of player ``p`` hold ``item``."""
    count = 0
    for k in range(INVENTORY_SLOTS):
        if s.inventory[i, p, k] == item:
            count += 1
    return count
