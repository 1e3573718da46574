"""Reusable torch blocks for the reference agents: temporal backbones and a portable Mamba block.

>>> from botarena.agents.nn import BACKBONES, make_backbone
>>> BACKBONES
('mlp', 'lstm', 'gru', 'attention', 'mamba', 'jamba')

``make_backbone(name, d_in, d_model, **kw)`` builds any of them behind one interface
(``forward(x, state) -> (y, state)``, ``step(x_t, state) -> (y_t, state)``, ``initial_state``,
``reset_state``, ``num_parameters``); :class:`Mamba` loads and saves ``mamba_ssm.Mamba`` state dicts
unchanged.
"""

from .backbones import BACKBONES, Backbone, State, StateSpec, make_backbone
from .mamba import Mamba, MambaState

__all__ = ["BACKBONES", "Backbone", "Mamba", "MambaState", "State", "StateSpec", "make_backbone"]
