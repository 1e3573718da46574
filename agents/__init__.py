"""botarena.agents: everything that acts -- scripted bots, reference agents, the leaderboard and the CLI."""
