"""Every bundled agent, registered by name: the one place to see what ``botarena leaderboard`` ranks.

Each game adds its ``register_agent(...)`` calls here (random, scripted, then learned agents with their
checkpoints). The registry imports this module once, on first use.
"""

from __future__ import annotations
