"""Every bundled agent, registered by name: the one place to see what ``botarena leaderboard`` ranks.

Each game adds its ``register_agent(...)`` calls here (random, scripted, then learned agents with their
checkpoints). The registry imports this module once, on first use.
"""

from __future__ import annotations

from .common.registry import register_agent

# ---------------------------------------------------------------------- Territory
register_agent("territory/random", "botarena.agents.scripted.common:MaskedRandomAgent", kind="random",
               description="uniform over the valid (unmasked) actions")
for _bot, _description in (
    ("expander", "built-in bot: grabs neutral land, then the weakest border"),
    ("aggressor", "built-in bot: hits the weakest neighbour"),
    ("turtle", "built-in bot: banks troops and strikes near the cap"),
):
    register_agent(f"territory/{_bot}", "botarena.agents.scripted.common:NativeBotAgent", kind="scripted",
                   description=_description, native_bot=_bot)

# ---------------------------------------------------------------------- ClickArena
for _bot, _kind, _description in (
    ("random", "random", "built-in bot: random cursor targets, clicks and attack key"),
    ("expert", "scripted", "built-in hierarchical bot (mode, target, aim) through a human motor model"),
    ("aimbot", "scripted", "built-in expert without motor limits: the ceiling"),
):
    register_agent(f"click_arena/{_bot}", "botarena.agents.scripted.common:NativeBotAgent", kind=_kind,
                   description=_description, native_bot=_bot)

# ---------------------------------------------------------------------- TickDuel
for _name, _bot, _kind, _description in (
    ("random", "random", "random", "built-in bot: random input events"),
    ("nh_expert", "nh_expert", "scripted", "built-in NH switcher, average human motor style (the reference)"),
    ("nh_expert-fast", "nh_expert:fast", "scripted", "built-in NH switcher, fast human motor style"),
    ("nh_expert-sloppy", "nh_expert:sloppy", "scripted", "built-in NH switcher, sloppy human motor style"),
    ("tick_perfect", "tick_perfect", "scripted", "built-in NH switcher with no motor limits: the ceiling"),
):
    register_agent(f"tick_duel/{_name}", "botarena.agents.scripted.common:NativeBotAgent", kind=_kind,
                   description=_description, native_bot=_bot)
