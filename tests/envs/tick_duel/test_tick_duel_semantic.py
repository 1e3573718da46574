"""SemanticActions: decision heads become canonical events through the same UI; SB3 trains through it."""

from __future__ import annotations

import numpy as np
import pytest

from botarena.envs.tick_duel import SemanticActions, TickDuelEnv, core
from botarena.envs.tick_duel.semantic import HEADS, HEADS_V1


def _env(**kwargs):
    return SemanticActions(TickDuelEnv(**kwargs))


def test_a_ranged_switch_with_a_prayer_and_food_becomes_events_the_ui_applies():
    env = _env(opponent="random")
    env.reset(seed=0)
    state = env.unwrapped.batch.state
    state.hp[0, 0] = 40
    env.step(np.array([2, 3, 3, 0, 0, 0]))  # ranged set, protect from melee, combo eat
    events, n = env.last_events, env.last_count
    assert 0 < n <= 64
    times = events[:n, 0]
    assert (np.diff(times) >= 0).all() and times.max() < 600
    assert state.protect[0, 0] == core.MELEE or state.prayer[0, 0] == 0
    assert state.hp[0, 0] >= 40 + 20 + 18 - state.taken[0, 0]
    worn = state.equipment[0, 0]
    ranged = core.GEAR_SETS[core.BUILD_MAX, core.SET_RANGED]
    # What did not fit in the tick is finished by choosing the same style again.
    for _ in range(3):
        env.step(np.array([2, 0, 0, 0, 0, 0]))
    assert list(state.equipment[0, 0]) == list(ranged), worn


def test_masks_forbid_choices_that_change_nothing():
    env = _env()
    env.reset(seed=0)
    mask = env.action_masks()
    assert mask.shape == (sum(HEADS_V1),) and mask.dtype == bool
    assert not mask[3]  # the magic set is worn at the start
    assert mask[[0, 5, 10, 14, 17, 20]].all()  # keep / nothing / nothing / stay / no / none
    state = env.unwrapped.batch.state
    state.spec[0, 0] = 0
    state.eat_timer[0, 0] = 2
    assert not env.action_masks()[18] and not env.action_masks()[11]


def test_an_ice_barrage_choice_freezes_the_opponent_through_the_spellbook():
    for seed in range(30):
        env = _env(opponent="random")
        env.reset(seed=seed)
        for _ in range(6):  # the spell flies 3 to 4 ticks from the start tiles (v1's hit delay)
            env.step(np.array([4, 0, 0, 0, 0, 0]))
        if env.unwrapped.batch.state.frozen[0, 1] > 0:
            return
    raise AssertionError("ice barrage never landed")


def test_bad_semantic_actions_raise():
    env = _env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="heads"):
        env.step(np.array([5, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="must hold integers"):
        env.step(np.array([0.5, 0, 0, 0, 0, 0]))


def test_sb3_check_env_through_semantic_actions():
    from stable_baselines3.common.env_checker import check_env

    check_env(_env(), warn=True)
    check_env(SemanticActions(TickDuelEnv(), keep_history=False), warn=True)


def test_a_short_maskable_ppo_run_trains_through_semantic_actions():
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = DummyVecEnv([lambda: SemanticActions(TickDuelEnv(opponent="nh_expert:sloppy"), keep_history=False)] * 2)
    model = MaskablePPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu",
                        policy_kwargs={"net_arch": [32]})
    model.learn(256)
    obs = venv.reset()
    action, _ = model.predict(obs, action_masks=np.stack(venv.env_method("action_masks")))
    assert action.shape == (2, len(HEADS_V1))


def test_v1_heads_drink_potions_in_the_one_tick_order_and_arm_the_granite_maul():
    env = _env(opponent="random")
    env.reset(seed=0)
    state = env.unwrapped.batch.state
    assert env.action_space.nvec.tolist() == list(HEADS_V1)
    state.hp[0, 0] = 30
    mask = env.action_masks()
    assert mask[sum(HEADS_V1[:5]):].all()  # every potion available at the start
    env.step(np.array([0, 0, 3, 0, 0, 1 + core.POT_BREW]))  # anglerfish, brew, karambwan in one tick
    assert state.pot_timer[0, 0] > 0 and state.combo_timer[0, 0] > 0
    assert state.stats[0, 0, core.S_DEF] == 120 and state.hp[0, 0] >= 30 + 22 + 16 + 18 - state.taken[0, 0]
    assert not env.action_masks()[sum(HEADS_V1[:5]) + 1:].any()  # the potion timer runs
    env.step(np.array([0, 0, 0, 0, 2, 0]))  # the granite maul, wielded and its special armed
    assert state.equipment[0, 0, core.SLOT_WEAPON] == core.ITEM_GRANITE_MAUL and state.spec_armed[0, 0] == 1


def test_v0_keeps_its_five_heads():
    env = SemanticActions(TickDuelEnv(rules=core.RULES_V0))
    env.reset(seed=0)
    assert env.action_space.nvec.tolist() == list(HEADS) and env.action_masks().shape == (sum(HEADS),)
    env.step(np.array([2, 3, 3, 0, 0]))
    assert env.unwrapped.batch.state.protect[0, 0] == core.MELEE  # the v0 heads still act
