"""Weights of the bundled learned agents, each ``<name>.pt`` with its model card ``<name>.card.json``.

Every file here was written by the agent's own training command (the card names the command, seed, data, git
sha and the metrics measured on held-out seeds) and is under 8 MiB. The registry (``agents/zoo.py``) points
each learned agent at its file; ``botarena.agents.common.checkpoint.load_checkpoint`` reads one without running
pickle code.
"""
