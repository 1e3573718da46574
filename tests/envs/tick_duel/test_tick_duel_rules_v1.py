"""TickDuel-v1's rules (``core``'s *Rules v1*) on hand-built duels, each with the source it follows, and the
expert's v1 skills in bot games. v0's rules keep their own tests (``test_tick_duel_rules.py``) and must replay
exactly as before v1 landed."""

from __future__ import annotations

import hashlib

import gymnasium as gym
import numpy as np
import pytest
from tick_duel_helpers import BotBatch, click, fresh, key, place, tick, wear

import botarena.envs  # noqa: F401  (registers the ids)
from botarena.envs.common.rng import batch_seeds, seed_words
from botarena.envs.tick_duel import bots, core, invariants

V1 = core.RULES_V1
NEVER = 10**6  # a pid_timer that outlasts any test: PID stays as the test set it


def _duel(seed: int = 0, build: int = core.BUILD_MAX, first: int = 0) -> core.DuelState:
    s = fresh(build, build, seed=seed, rules=V1)
    s.pid_first[0] = first
    s.pid_timer[0] = NEVER
    return s


def _attacker(s: core.DuelState, kind: int, dx: int, spell: int = core.NO_SPELL) -> None:
    """Player 1 in gear set ``kind``, ``dx`` tiles east of player 0 (at (1, 2)), attacking it with a ready timer."""
    place(s, 0, 1, 2)
    place(s, 1, 1 + dx, 2)
    wear(s, 1, kind)
    s.target[0, 1] = 1
    s.pending_spell[0, 1] = spell


def _landing_tick(s: core.DuelState, limit: int = 12) -> int:
    """The tick whose boundary first lands a hit on player 0 (the hitsplat shows even a 0)."""
    for _ in range(limit):
        t = int(s.tick[0])
        tick(s)
        if s.hitsplat[0, 0] != core.NO_HIT:
            return t
    raise AssertionError("no hit landed")


def _slot(s: core.DuelState, p: int, item: int) -> int:
    return int(np.flatnonzero(s.inventory[0, p] == item)[0])


# ---------------------------------------------------------------------------------------------- hit delay, PID
@pytest.mark.parametrize("kind,spell,dx", [
    (core.SET_MELEE, core.NO_SPELL, 1),
    (core.SET_RANGED, core.NO_SPELL, 1), (core.SET_RANGED, core.NO_SPELL, 3), (core.SET_RANGED, core.NO_SPELL, 7),
    (core.SET_MAGIC, core.SPELL_BLOOD_BARRAGE, 1), (core.SET_MAGIC, core.SPELL_BLOOD_BARRAGE, 2),
    (core.SET_MAGIC, core.SPELL_ICE_BARRAGE, 5), (core.SET_MAGIC, core.SPELL_ICE_BARRAGE, 8),
])
def test_hits_land_after_the_wiki_hit_delay_plus_one_when_the_target_acts_first(kind, spell, dx):
    # OSRS wiki, Hit delay: melee 0; crossbows 1 + floor((3 + d) / 6); spells 1 + floor((1 + d) / 3); a target
    # processed before its attacker (PID) takes the hit a tick later.
    style = kind  # SET_MELEE, SET_RANGED and SET_MAGIC equal the style ids
    delay = {core.MELEE: 0, core.RANGED: 1 + (3 + dx) // 6, core.MAGIC: 1 + (1 + dx) // 3}[style]
    for first, extra in ((1, 0), (0, 1)):
        s = _duel(first=first)
        _attacker(s, kind, dx, spell)
        assert _landing_tick(s) == delay + extra


def test_pid_is_fair_and_drawn_again_every_100_to_150_ticks():
    # OSRS wiki, PID: re-drawn every 100 to 150 ticks (U{100..150}).
    firsts = []
    for seed in range(400):
        s = fresh(seed=seed, rules=V1)
        firsts.append(int(s.pid_first[0]))
        assert core.PID_SHUFFLE_MIN <= s.pid_timer[0] <= core.PID_SHUFFLE_MAX
    assert 160 <= sum(firsts) <= 240
    s = fresh(seed=1, rules=V1)
    draws = []
    for _ in range(600):
        before = int(s.pid_timer[0])
        tick(s)
        if s.pid_timer[0] > before:
            draws.append(int(s.tick[0]))
    gaps = np.diff([0, *draws])
    assert len(draws) >= 4 and (gaps >= core.PID_SHUFFLE_MIN).all() and (gaps <= core.PID_SHUFFLE_MAX).all()


def test_a_bolt_in_flight_and_an_instant_granite_maul_special_stack_into_one_hitsplat():
    # The NH stack: a crossbow bolt at distance 1 lands a tick after launch; the granite maul's special is instant
    # (made at the boundary whatever the attack timer) and melee lands at once, so both land on the same tick
    # with no tick to eat between them. The same seeds without the maul show the bolt alone.
    stacked = 0
    for seed in range(40):
        runs = []
        for maul in (False, True):
            s = _duel(seed=seed, first=1)
            _attacker(s, core.SET_RANGED, 1)
            tick(s)  # tick 0: the bolt launches, landing at tick 1
            assert s.hitsplat[0, 0] == core.NO_HIT and s.attack_timer[0, 1] > 0
            if maul:
                s.inventory[0, 1, _slot(s, 1, core.ITEM_ANGLERFISH)] = core.ITEM_EMPTY  # room for the shield
                k = _slot(s, 1, core.ITEM_GRANITE_MAUL)
                tick(s, p1=[key(10, core.TAB_INVENTORY), click(100, core.inventory_slot_rect(k)),
                            click(300, core.SPEC_ORB)])
            else:
                tick(s)
            runs.append((int(s.hitsplat[0, 0]), int(s.hp[0, 0]), int(s.spec[0, 1])))
            tick(s)
            assert s.hitsplat[0, 0] == core.NO_HIT  # nothing lands at tick 2: both hits landed at tick 1
        (bolt, hp_bolt, spec_bolt), (both, hp_both, spec_both) = runs
        assert spec_both == spec_bolt - core.ITEM_SPEC_COST[core.ITEM_GRANITE_MAUL]
        assert both >= bolt and 99 - hp_both == both and 99 - hp_bolt == bolt
        stacked += both > bolt
    assert stacked >= 10


# ---------------------------------------------------------------------------------------------- prayer flicking
def _melee_on_player0(seed: int) -> core.DuelState:
    s = _duel(seed=seed, first=1)
    _attacker(s, core.SET_MELEE, 1)
    s.hp[0, 0] = s.hp[0, 1] = 10**6  # nobody dies in the 100 ticks (hp is only compared between twins)
    return s


def test_a_perfect_flicker_keeps_its_prayer_points_for_100_ticks_while_protected():
    # RuneLite PrayerPlugin: the drain counter grows by the active prayers' drain each tick; runedocs: a timer does
    # not run on the tick it was queued, so a prayer clicked off and on within one tick (a 1-tick flick) protects
    # at that boundary and drains nothing. The twin leaves the prayer on: the same hits, 20 points gone.
    cell = core.prayer_rect(core.protect_cell(core.MELEE))
    flicker, steady = _melee_on_player0(3), _melee_on_player0(3)
    tick(flicker, p0=[key(10, core.TAB_PRAYER), click(100, cell)])
    tick(steady, p0=[key(10, core.TAB_PRAYER), click(100, cell)])
    hits = 0
    for _ in range(100):
        tick(flicker, p0=[click(200, cell), click(380, cell)])
        tick(steady)
        assert flicker.protect[0, 0] == core.MELEE and flicker.taken[0, 0] == steady.taken[0, 0]
        hits += flicker.hitsplat[0, 0] != core.NO_HIT
    assert flicker.prayer[0, 0] == 99 and flicker.drain[0, 0] == 0
    # 1,200 drain in the counter, a point each time it exceeds (strictly) the resistance of 60: 19 points.
    assert steady.prayer[0, 0] == 99 - (100 * core.PROTECT_DRAIN - 1) // core.PRAYER_RESISTANCE_BASE
    assert hits == 25  # a whip every 4 ticks, every one against the prayer


def _bolt_against(prayer_clicks: list, late_click: bool, seed: int) -> int:
    """Damage of a bolt launched at tick 0 (landing at tick 2) on player 0, with player 0's prayer clicks."""
    s = _duel(seed=seed, first=1)
    _attacker(s, core.SET_RANGED, 5)
    tick(s, p0=prayer_clicks)
    late = [key(5, core.TAB_PRAYER), click(20, core.prayer_rect(core.protect_cell(core.RANGED)))]
    tick(s, p0=late if late_click else [])
    tick(s)
    assert s.hitsplat[0, 0] != core.NO_HIT
    return int(s.taken[0, 0])


def test_protection_counts_at_launch_a_late_click_or_an_on_off_click_protects_nothing():
    # OSRS wiki, Protect from Missiles ("Flicking"): the prayer must be active when the damage is calculated,
    # which is at launch; a bolt in flight is not blocked by a prayer switched on after it left.
    cell = core.prayer_rect(core.protect_cell(core.RANGED))
    checked = 0
    for seed in range(30):
        bare = _bolt_against([], False, seed)
        in_time = _bolt_against([key(500, core.TAB_PRAYER), click(590, cell)], False, seed)
        on_off = _bolt_against([key(100, core.TAB_PRAYER), click(200, cell), click(400, cell)], False, seed)
        late = _bolt_against([], True, seed)
        assert in_time == int(np.floor(bare * core.PROTECT_FACTOR)) and on_off == bare and late == bare
        checked += bare >= 10
    assert checked >= 5


# ---------------------------------------------------------------------------------------------- freezes
def test_an_ice_barrage_freezes_for_the_full_32_ticks_through_protect_from_magic():
    # RuneLite TimersPlugin: Protect from Magic halves only Bind, Snare and Entangle, not the ancient ice spells.
    for seed in range(60):
        s = _duel(seed=seed, first=1)
        _attacker(s, core.SET_MAGIC, 1, core.SPELL_ICE_BARRAGE)
        s.protect[0, 0] = core.MAGIC
        tick(s)
        tick(s)  # distance 1: lands a tick after launch
        if s.frozen[0, 0] > 0:
            assert s.frozen[0, 0] == core.FREEZE_TICKS
            return
    raise AssertionError("ice barrage never landed")


# ---------------------------------------------------------------------------------------------- consumables
def test_food_then_potion_then_karambwan_go_down_in_one_tick_in_that_order_only():
    # RuneLite / runedocs queue: food sets the food timer; a potion needs the potion timer and sets both; a
    # karambwan needs its own and sets all three. So food -> potion -> karambwan works; karambwan -> food and
    # potion -> food do not.
    s = _duel()
    s.hp[0, 0] = 20
    fish, brew = _slot(s, 0, core.ITEM_ANGLERFISH), _slot(s, 0, core.ITEM_NAMES.index("saradomin brew(4)"))
    kara = _slot(s, 0, core.ITEM_KARAMBWAN)
    tick(s, p0=[click(50, core.inventory_slot_rect(fish)), click(150, core.inventory_slot_rect(brew)),
                click(250, core.inventory_slot_rect(kara))])
    assert s.hp[0, 0] == 20 + 22 + 16 + 18
    assert s.inventory[0, 0, fish] == core.ITEM_EMPTY and s.inventory[0, 0, kara] == core.ITEM_EMPTY
    assert core.ITEM_NAMES[s.inventory[0, 0, brew]] == "saradomin brew(3)"
    for first, then in (("cooked karambwan", "anglerfish"), ("saradomin brew(4)", "anglerfish")):
        s = _duel()
        s.hp[0, 0] = 20
        a, b = _slot(s, 0, core.ITEM_NAMES.index(first)), _slot(s, 0, core.ITEM_NAMES.index(then))
        tick(s, p0=[click(50, core.inventory_slot_rect(a)), click(150, core.inventory_slot_rect(b))])
        assert s.inventory[0, 0, a] != core.ITEM_NAMES.index(first) and s.inventory[0, 0, b] == core.ITEM_ANGLERFISH


def _drink(s: core.DuelState, name: str) -> None:
    s.pot_timer[0, 0] = 0
    s.eat_timer[0, 0] = 0
    tick(s, p0=[click(50, core.inventory_slot_rect(_slot(s, 0, core.ITEM_NAMES.index(name))))])


def test_brews_restores_boosts_and_anglerfish_change_levels_as_the_osrs_item_pages_say():
    # RuneLite ItemStatChanges at 99: brew hp +16 (overheal to 115), defence +21, attack / strength / ranged /
    # magic -(10 % of the current level + 2); super restore +32 up to the base (prayer too); super combat +19;
    # ranging +13; anglerfish +22 overhealing to 121.
    s = _duel()
    s.hp[0, 0] = 110
    _drink(s, "saradomin brew(4)")
    assert s.hp[0, 0] == 115
    assert list(s.stats[0, 0, :5]) == [88, 88, 120, 88, 88]
    _drink(s, "saradomin brew(3)")
    assert list(s.stats[0, 0, :5]) == [78, 78, 120, 78, 78] and s.hp[0, 0] == 115  # 88 - (8 + 2)
    s.prayer[0, 0] = 40
    _drink(s, "super restore(4)")
    assert list(s.stats[0, 0, :5]) == [99, 99, 120, 99, 99] and s.prayer[0, 0] == 72
    _drink(s, "super combat potion(4)")
    assert list(s.stats[0, 0, :3]) == [118, 118, 120]
    _drink(s, "ranging potion(4)")
    assert s.stats[0, 0, core.S_RNG] == 112
    _drink(s, "anglerfish")
    assert s.hp[0, 0] == 121
    _drink(s, "anglerfish")
    assert s.hp[0, 0] == 121  # overheal capped at base + 22
    brews = [core.ITEM_NAMES[x] for x in s.inventory[0, 0] if core.ITEM_POTION[x] == core.POT_BREW]
    assert brews.count("saradomin brew(2)") == 1 and brews.count("saradomin brew(4)") == 4
    for _ in range(2):
        _drink(s, "saradomin brew(2)" if "saradomin brew(2)" in brews else "saradomin brew(1)")
        brews = [core.ITEM_NAMES[x] for x in s.inventory[0, 0] if core.ITEM_POTION[x] == core.POT_BREW]
    assert len(brews) == 4  # the last dose smashed its vial


def test_boosts_and_overheal_wear_off_one_level_a_minute():
    s = _duel()
    _drink(s, "super combat potion(4)")
    s.hp[0, 0] = 110
    while s.tick[0] < core.STAT_RESTORE_TICKS:
        tick(s)
    assert list(s.stats[0, 0, :3]) == [117, 117, 117] and s.hp[0, 0] == 109


# ---------------------------------------------------------------------------------------------- specials, gear
def test_the_voidwaker_special_always_hits_for_half_to_one_and_a_half_max_as_magic_damage():
    # osrs-dps-calc: the voidwaker's special always hits, uniform [M // 2, M + M // 2], magic damage.
    for protect, factor in ((core.NO_STYLE, 1.0), (core.MELEE, 1.0), (core.MAGIC, core.PROTECT_FACTOR)):
        damages = []
        for seed in range(60):
            s = _duel(seed=seed, first=1)
            _attacker(s, core.SET_SPEC, 1)
            s.protect[0, 0] = protect
            max_hit = core.attack_rolls(s, 0, 1, core.MELEE, core.NO_SPELL)[2]
            tick(s, p1=[click(100, core.SPEC_ORB)])
            assert s.spec[0, 1] == core.SPEC_MAX - 50
            damages.append(int(s.taken[0, 0]))
        low, high = int(np.floor(max_hit // 2 * factor)), int(np.floor((max_hit + max_hit // 2) * factor))
        assert min(damages) >= low and max(damages) <= high and min(damages) > 0
        assert max(damages) - min(damages) > max_hit // 2  # spread over the range, not a fixed hit


def test_v1_item_bonuses_follow_the_osrs_tables_and_v0_keeps_its_own():
    # osrs-dps-calc equipment.json (stab / ranged / magic columns).
    assert tuple(core.ITEM_DEF_BY_RULES[V1, core.ITEM_NAMES.index("bandos chestplate")]) == (98, 133, -6)
    assert tuple(core.ITEM_DEF_BY_RULES[0, core.ITEM_NAMES.index("bandos chestplate")]) == (98, 61, -6)
    assert tuple(core.ITEM_DEF_BY_RULES[V1, core.ITEM_NAMES.index("fighter torso")]) == (62, 67, -10)
    assert core.ITEM_STR_BY_RULES[V1, core.ITEM_NAMES.index("armadyl crossbow"), core.RANGED] == 122
    assert core.ITEM_STR_BY_RULES[V1, core.ITEM_NAMES.index("rune crossbow"), core.RANGED] == 105
    assert core.ITEM_PRAYER_BY_RULES[V1, core.ITEM_NAMES.index("mystic robe top")] == 0
    assert tuple(core.ITEM_ATT_BY_RULES[V1, core.ITEM_NAMES.index("unholy book")]) == (8, 8, 8)
    for v0_table, table in ((core.ITEM_ATT, core.ITEM_ATT_BY_RULES), (core.ITEM_DEF, core.ITEM_DEF_BY_RULES),
                            (core.ITEM_STR, core.ITEM_STR_BY_RULES), (core.ITEM_PRAYER, core.ITEM_PRAYER_BY_RULES)):
        assert (table[core.RULES_V0] == v0_table).all()


def test_the_aggressive_stance_and_magic_accuracy_plus_nine_enter_the_rolls():
    # osrs-dps-calc: aggressive melee +3 effective strength; effective magic attack floor(magic * prayer) + 9.
    v0, v1 = fresh(), _duel()
    for s in (v0, v1):
        wear(s, 0, core.SET_MELEE)
    strength = 99 + 8
    bonus = core.gear_bonus(v1, 0, 0, core.BONUS_STRENGTH, core.MELEE)
    max_hit = core.attack_rolls(v1, 0, 0, core.MELEE, core.NO_SPELL)[2]
    assert max_hit == int(np.floor(0.5 + (strength + 3) * (bonus + 64) / 640))
    max_hit = core.attack_rolls(v0, 0, 0, core.MELEE, core.NO_SPELL)[2]
    assert max_hit == int(np.floor(0.5 + strength * (bonus + 64) / 640))
    v0, v1 = fresh(), _duel()
    magic_bonus = core.gear_bonus(v1, 0, 0, core.BONUS_ATTACK, core.MAGIC)
    assert core.attack_rolls(v1, 0, 0, core.MAGIC, core.SPELL_ICE_BARRAGE)[0] == (99 + 9) * (magic_bonus + 64)
    assert core.attack_rolls(v0, 0, 0, core.MAGIC, core.SPELL_ICE_BARRAGE)[0] == (99 + 8) * (magic_bonus + 64)


# ---------------------------------------------------------------------------------------------- versions
V0_FIELDS = core.DuelState._fields[:core.DuelState._fields.index("rules")]  # v1's arrays come after these
# sha256 prefixes of v0 bot games (the fields v0 had), measured on main before v1 landed (22881a9): v0 replays
# exactly, so old datasets and recordings still mean what they meant.
V0_GOLDEN = {((1, 4), 0): "337f2e101dc1c574", ((2, 3), 1): "8bc0fd583f5e849a", ((0, 4), 2): "89e767ac6356e435"}


@pytest.mark.parametrize("policies,seed", list(V0_GOLDEN))
def test_tick_duel_v0_replays_exactly_as_before_v1(policies, seed):
    n = 6
    s = core.DuelState.allocate(n, core.RULES_V0)
    s.rng_state[:] = seed_words(batch_seeds(seed, n))
    core.reset_envs(s, np.ones(n, bool), np.array([[k % 3, (k + 1) % 3] for k in range(n)]), np.zeros(n, bool))
    pol = np.tile(np.array(policies, np.int8), (n, 1))
    events, counts = np.zeros((n, 2, 64, 7), np.float32), np.zeros((n, 2), np.int64)
    digest = hashlib.sha256()
    for _ in range(300):
        counts[:] = 0
        bots.bot_events(s, pol, events, counts, np.ones(n, bool), bots.new_plan())
        core.step_envs(s, events, counts, np.ones(n, bool), np.zeros(64, np.int64))
        for name in V0_FIELDS:
            digest.update(np.ascontiguousarray(getattr(s, name)).tobytes())
    assert digest.hexdigest()[:16] == V0_GOLDEN[(policies, seed)]


def test_both_versions_are_registered_with_their_observations():
    v1 = gym.make("botarena/TickDuel-v1")
    v0 = gym.make("botarena/TickDuel-v0")
    assert v1.observation_space["gamestate"].shape == (152,) and v0.observation_space["gamestate"].shape == (128,)
    assert v1.unwrapped.batch.state.rules[0] == V1 and v0.unwrapped.batch.state.rules[0] == core.RULES_V0
    obs, _ = v1.reset(seed=0)
    assert obs["gamestate"][128 + 16] == 1.0  # five brews of four doses, of 20
    with pytest.raises(ValueError, match="rules must be one of"):
        gym.make("botarena/TickDuel-v1", rules=2)


# ---------------------------------------------------------------------------------------------- the v1 expert
def test_the_v1_expert_flicks_brews_restores_stacks_and_specs_off_prayer():
    b = BotBatch((bots.BOT_NH_EXPERT, bots.BOT_NH_EXPERT), np.array([[k % 3, k % 3] for k in range(24)]), seed=5,
                 rules=V1)
    s = b.s
    flicks = stacks = void_specs = void_off_prayer = 0
    start_doses = core.ITEM_DOSES[s.inventory].sum(axis=2).copy()
    for _ in range(300):
        b.plan_tick()
        before = s.copy()
        b.play_tick()
        running = before.done == 0  # a finished duel is not stepped (the env would reset it)
        assert invariants.violations(core.DuelState(*[a[running] for a in s]),
                                     core.DuelState(*[a[running] for a in before])) == []
        for i in np.flatnonzero(before.done == 0):
            for p in range(2):
                clicks = b.events[i, p, :b.counts[i, p]]
                clicks = clicks[clicks[:, core.F_TYPE] == core.EV_LEFT_CLICK]
                cell = core.prayer_rect(core.protect_cell(max(int(before.protect[i, p]), 0)))
                on_cell = ((clicks[:, core.F_X] >= cell[0]) & (clicks[:, core.F_X] < cell[0] + cell[2])
                           & (clicks[:, core.F_Y] >= cell[1]) & (clicks[:, core.F_Y] < cell[1] + cell[3]))
                if before.protect[i, p] >= 0 and before.open_tab[i, p] == core.TAB_PRAYER and on_cell.sum() == 2:
                    flicks += 1
                    # The hand makes both clicks or neither: a flick never leaves the prayer off.
                    assert s.protect[i, p] == before.protect[i, p] or s.prayer[i, p] == 0
                weapon = s.equipment[i, p, core.SLOT_WEAPON]
                if s.spec[i, p] < before.spec[i, p]:
                    if weapon == core.ITEM_GRANITE_MAUL:
                        stacks += 1
                    elif weapon == core.ITEM_NAMES.index("voidwaker"):
                        void_specs += 1
                        void_off_prayer += before.protect[i, 1 - p] != core.MAGIC
    doses = core.ITEM_DOSES[s.inventory].sum(axis=2)
    assert flicks >= 100 and stacks >= 3 and void_specs >= 3 and void_off_prayer == void_specs
    assert (doses < start_doses).mean() > 0.8  # nearly every expert drank
    # Flicking pays: the experts end with most of their prayer although they prayed all game.
    assert s.prayer.mean() > 40


def test_eating_pushes_the_next_attack_back_three_ticks_as_in_v0():
    # OSRS wiki, Food: eating delays the next attack by 3 ticks (a karambwan by 2), whether or not the attack was
    # ready; v1 counts its timer down before the attack, v0 after, and both must give the same attack ticks.
    for food_name, rules in (("shark", core.RULES_V0), ("anglerfish", V1)):
        s = fresh(seed=2, rules=rules)
        s.pid_timer[0] = NEVER
        place(s, 0, 2, 2)
        place(s, 1, 3, 2)
        wear(s, 1, core.SET_MELEE)
        s.target[0, 1] = 1
        food = _slot(s, 1, core.ITEM_NAMES.index(food_name))
        attacks = []
        for t in range(12):
            tick(s, p1=[click(50, core.inventory_slot_rect(food))] if t == 0 else [])
            if s.last_style[0, 1] >= 0:
                attacks.append(t)
        assert attacks == [core.FOOD_ATTACK_DELAY, core.FOOD_ATTACK_DELAY + 4, core.FOOD_ATTACK_DELAY + 8], rules


def test_the_granite_maul_is_two_handed():
    # OSRS wiki, Two-handed: wielding one takes the shield off into a free slot; with no free slot it stays put;
    # putting a shield on takes the two-handed weapon off.
    s = _duel()
    wear(s, 0, core.SET_MELEE)
    defender = core.ITEM_NAMES.index("dragon defender")
    maul = _slot(s, 0, core.ITEM_GRANITE_MAUL)
    assert (s.inventory[0, 0] != core.ITEM_EMPTY).all()  # a full bag: the maul cannot go on
    tick(s, p0=[click(50, core.inventory_slot_rect(maul))])
    assert s.equipment[0, 0, core.SLOT_WEAPON] != core.ITEM_GRANITE_MAUL
    s.hp[0, 0] = 50
    tick(s, p0=[click(50, core.inventory_slot_rect(_slot(s, 0, core.ITEM_ANGLERFISH))),
                click(200, core.inventory_slot_rect(maul))])  # eating frees a slot, then the maul goes on
    assert s.equipment[0, 0, core.SLOT_WEAPON] == core.ITEM_GRANITE_MAUL
    assert s.equipment[0, 0, core.SLOT_SHIELD] == core.ITEM_EMPTY and defender in s.inventory[0, 0]
    tick(s, p0=[click(50, core.inventory_slot_rect(_slot(s, 0, defender)))])
    assert s.equipment[0, 0, core.SLOT_SHIELD] == defender and s.equipment[0, 0, core.SLOT_WEAPON] == core.ITEM_EMPTY
    assert core.ITEM_GRANITE_MAUL in s.inventory[0, 0]
