"""Every bundled agent, registered by name: the one place to see what ``botarena leaderboard`` ranks.

Each game adds its ``register_agent(...)`` calls here (random, scripted, then learned agents with their
checkpoints). The registry imports this module once, on first use.

Built-in bots (``NativeBotAgent``) play inside the game: ``botarena.agents.play_episode`` and the leaderboard seat
them through the PettingZoo env's ``bots=``. Every other agent acts on observations. The ``random`` agents of the
input-driven games are both: seated as the game's random bot, and able to ``act`` on an observation.
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
    ("nation", "built-in bot after OpenFront's nations: keeps a reserve, answers the largest attack first, "
               "then hits the neighbour with the fewest troops per tile"),
):
    register_agent(f"territory/{_bot}", "botarena.agents.scripted.common:NativeBotAgent", kind="scripted",
                   description=_description, native_bot=_bot)

register_agent("territory/ppo-attention", "botarena.agents.territory.policy:TerritoryPolicyAgent", kind="learned",
               checkpoint="territory-attention.pt",
               description="learned attention-CNN actor-critic: the nation bot cloned, then MaskablePPO")

# ---------------------------------------------------------------------- ClickArena
register_agent("click_arena/random", "botarena.agents.scripted.random_input:ClickArenaRandomAgent", kind="random",
               description="built-in bot: random cursor targets, clicks and attack key (also acts on observations)")
for _bot, _description in (
    ("expert", "built-in hierarchical bot (mode, target, aim) through a human motor model"),
    ("aimbot", "built-in expert without motor limits: the ceiling"),
):
    register_agent(f"click_arena/{_bot}", "botarena.agents.scripted.common:NativeBotAgent", kind="scripted",
                   description=_description, native_bot=_bot, game="click_arena")

register_agent("click_arena/hierarchical", "botarena.agents.click_arena.policy:HierarchicalAgent", kind="learned",
               checkpoint="click-arena-hierarchical.pt",
               description="learned Strategist / Tactician / Executor (GRU), imitating the expert by BC + DAgger")

# ---------------------------------------------------------------------- TickDuel
register_agent("tick_duel/random", "botarena.agents.scripted.random_input:TickDuelRandomAgent", kind="random",
               description="built-in bot: random input events (also acts on observations)")
for _name, _bot, _description in (
    ("nh_expert", "nh_expert", "built-in NH switcher, average human motor style (the reference)"),
    ("nh_expert-fast", "nh_expert:fast", "built-in NH switcher, fast human motor style"),
    ("nh_expert-sloppy", "nh_expert:sloppy", "built-in NH switcher, sloppy human motor style"),
    ("tick_perfect", "tick_perfect", "built-in NH switcher with no motor limits: the ceiling"),
):
    register_agent(f"tick_duel/{_name}", "botarena.agents.scripted.common:NativeBotAgent", kind="scripted",
                   description=_description, native_bot=_bot, game="tick_duel")

register_agent("tick_duel/decoder", "botarena.agents.tick_duel.policy:DecoderAgent", kind="learned",
               checkpoint="tick-duel-decoder.pt",
               description="learned sequential event decoder: the NH expert's input imitated event by event "
                           "(behaviour cloning, weights averaged, greedy)")
