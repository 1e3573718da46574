"""The three levels of the hierarchical ClickArena agent, each a torch module that runs at its own rate.

=============  =====  ===============================================  ==============================================
level          rate   reads                                            decides
=============  =====  ===============================================  ==============================================
Strategist     1 Hz   the last 60 one-per-second summaries             mode (5), goal [64], confidence
                      [B, 60, 192]
Tactician      10 Hz  the object rows [B, 16, 20] + mask, the goal     target slot (its attention), approach (4),
                                                                       target info [34]
Executor       60 Hz  state [64] + goal [64] + target info [34], one   cursor x, y, click, attack key
                      frame at a time
=============  =====  ===============================================  ==============================================

The goal is the strategist's message to the levels below: a 64-number code trained to carry the mode and the
world point the expert works on (``goal_decoder``, used only in training). The tactician's choice of object
is the weight of its goal-as-query cross-attention over a *no object* slot and the 16 rows; its target
information is 32 learned numbers plus ``target_xy``, the attention-weighted screen position of the slots
(the no-object slot stands at ``point_head``'s screen point: where to fly). The executor's cursor outputs
are a residual on ``logit`` of a point between the last commanded point and ``target_xy`` (a gate that starts
near ``target_xy``), so an untrained executor already aims at the target (see ``Executor``); its recurrent
core (``mamba`` by default, any ``agents.nn`` backbone) carries the hand's state from frame to frame.

Sizes follow the design (strategist d 256, 4 pre-LN layers of 4 heads; tactician d 128, 2 layers of 2 heads,
FFN 256; executor d 256, Mamba d_state 64, d_conv 4) except the strategist's feed-forward width: 256, not
1,024. The design's parameter counts (strategist "about 1.2M", tactician "about 120K") do not fit its own
layer sizes (4 layers of d 256 with FFN 1,024 are 3.2M alone), and the shipped checkpoint must stay under
8 MiB: with FFN 256 the three levels hold about 3.6M parameters, 7 MB in float16
(``Hierarchy.parameter_counts``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from botarena.agents.nn import Backbone, State, make_backbone
from botarena.envs.click_arena.core import StateColumn

from . import features as fx

GOAL_DIM = 64
TARGET_INFO_DIM = 32
TARGET_DIM = TARGET_INFO_DIM + 2  # info + target_xy
EXECUTOR_IN = fx.STATE_FEATURES + GOAL_DIM + TARGET_DIM  # 162
CURSOR_EPS = 1e-3  # the aim point is clamped into [eps, 1 - eps] before its logit
CLICK_PRIOR_LOGIT = -5.1  # logit(0.6 %): the expert presses on about 1 frame in 160
GATE_START = 4.0  # the executor's gate starts at sigmoid(4) = 0.98: an untrained executor aims at its target
PREVIOUS_COMMAND = [StateColumn.CMD_X, StateColumn.CMD_Y]  # state columns: the last commanded point


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Linear(hidden, d_out))


def _embed(d_in: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_out), nn.LayerNorm(d_out), nn.GELU())


@dataclass(frozen=True)
class HierarchyConfig:
    """Sizes of the three levels (the defaults are the shipped agent's)."""

    strategist_backbone: str = "attention"
    strategist_layers: int = 4
    strategist_ffn: int = 256
    executor_core: str = "mamba"
    executor_layers: int = 2
    mamba_d_state: int = 64
    mamba_d_conv: int = 4
    # The tactician's cross-attention output plus its goal query (a transformer decoder's residual). Without it,
    # with no object on screen the output is the no-object token's value alone, whatever the goal: the
    # no-object point (where to fly when exploring) was one fixed screen point, and the agent flew into the
    # map's edge and stayed there (``diagnose``). False: checkpoints made before it.
    tactician_goal_residual: bool = True
    # The executor's hold gate (``Executor``): its aim starts from a point between the one it last commanded and
    # the tactician's target. False: it starts from the target itself (the hand, not the executor, rests).
    executor_hold_gate: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> HierarchyConfig:
        """The config a checkpoint or run recorded; one recorded before a field existed gets that field's old
        behaviour (``tactician_goal_residual`` False)."""
        return cls(**{"tactician_goal_residual": False, **values})


# ====================================================================== strategist
class Strategist(nn.Module):
    """1 Hz: mode, goal and confidence from the last ``HISTORY_SECONDS`` summaries.

    Linear 192 -> 256 + LayerNorm + GELU; a backbone over the window (default: the pre-LN transformer of
    ``agents.nn`` with sinusoidal positions, non-causal over the window); attention pooling with a learned
    query over the real seconds; heads goal 256 -> 256 -> 64, mode 256 -> 128 -> 5, confidence 256 -> 1.
    """

    d_model = 256

    def __init__(self, config: HierarchyConfig = HierarchyConfig()) -> None:
        super().__init__()
        d = self.d_model
        self.embed = _embed(fx.SUMMARY_FEATURES, d)
        kwargs: dict = {"num_layers": config.strategist_layers}
        if config.strategist_backbone == "attention":
            kwargs.update(n_heads=4, mlp_ratio=config.strategist_ffn // d, max_window=fx.HISTORY_SECONDS,
                          causal=False)
        self.backbone: Backbone = make_backbone(config.strategist_backbone, d, d, **kwargs)
        self.pool_query = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.pool = nn.MultiheadAttention(d, 4, batch_first=True)
        self.goal_head = _mlp(d, 256, GOAL_DIM)
        self.mode_head = _mlp(d, 128, fx.NUM_MODES)
        self.confidence_head = nn.Linear(d, 1)
        # Training only: what the goal must carry besides the mode (the expert's goal point, in screens).
        self.goal_decoder = nn.Linear(GOAL_DIM, 2)

    def forward(self, history: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``history [B, 60, 192]`` (oldest first, padding rows all zero) -> (mode logits [B, 5], goal [B, 64],
        confidence logit [B])."""
        _check_shape("Strategist", "history", history, (None, fx.HISTORY_SECONDS, fx.SUMMARY_FEATURES))
        h, _ = self.backbone(self.embed(history))
        padding = history[..., -1] <= 0.5  # column 191: 1 for a real second
        padding = padding & ~padding.all(dim=1, keepdim=True)  # nothing real yet: pool over everything
        pooled, _ = self.pool(self.pool_query.expand(h.shape[0], -1, -1), h, h, key_padding_mask=padding,
                              need_weights=False)
        pooled = pooled[:, 0]
        return self.mode_head(pooled), self.goal_head(pooled), self.confidence_head(pooled)[:, 0]


# ====================================================================== tactician
class TacticianOutput(NamedTuple):
    log_attention: Tensor  # [B, 17]: log of the cross-attention over (no object, row 0, ..., row 15): the choice
    approach_logits: Tensor  # [B, 4]: features.APPROACH_NAMES
    target_info: Tensor  # [B, 34]: 32 learned features, then target_xy in screen fractions
    point: Tensor  # [B, 2]: the no-object slot's screen point (where to fly), in screen fractions


class Tactician(nn.Module):
    """10 Hz: which object (or none) to work on, how to approach it, and what the executor needs to know.

    Object encoder Linear 20 -> 128 + LayerNorm + GELU; goal encoder 64 -> 128; a learned *no object* token
    joins the 16 rows; 2 pre-LN self-attention layers (2 heads, FFN 256) over the 17 slots; cross-attention
    with the goal as query, whose weights are the target choice, and whose output plus the query (the residual,
    ``goal_residual``) feeds the heads: approach 128 -> 64 -> 4, target info 128 -> 64 -> 32, and the no-object
    slot's screen point 128 -> 2.
    """

    d_model = 128

    def __init__(self, goal_residual: bool = True) -> None:
        super().__init__()
        self.goal_residual = goal_residual
        d = self.d_model
        self.object_encoder = _embed(fx.OBJECT_FEATURES, d)
        self.goal_encoder = nn.Linear(GOAL_DIM, d)
        self.no_object = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, 2, 256, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.self_attention = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.cross_attention = nn.MultiheadAttention(d, 2, batch_first=True)
        self.approach_head = _mlp(d, 64, len(fx.APPROACH_NAMES))
        self.info_head = _mlp(d, 64, TARGET_INFO_DIM)
        self.point_head = nn.Linear(d, 2)

    def forward(self, objects: Tensor, object_mask: Tensor, goal: Tensor) -> TacticianOutput:
        """``objects [B, 16, 20]``, ``object_mask [B, 16]``, ``goal [B, 64]`` -> :class:`TacticianOutput`."""
        _check_shape("Tactician", "objects", objects, (None, fx.NUM_OBJECTS, fx.OBJECT_FEATURES))
        batch = objects.shape[0]
        tokens = torch.cat([self.no_object.expand(batch, -1, -1), self.object_encoder(objects)], dim=1)
        absent = torch.cat([torch.zeros(batch, 1, dtype=torch.bool, device=objects.device),
                            object_mask <= 0], dim=1)
        tokens = self.self_attention(tokens, src_key_padding_mask=absent)
        query = self.goal_encoder(goal)[:, None]
        context, weights = self.cross_attention(query, tokens, tokens, key_padding_mask=absent, need_weights=True,
                                                average_attn_weights=True)
        context, weights = context[:, 0], weights[:, 0]  # [B, d], [B, 17]
        if self.goal_residual:
            context = context + query[:, 0]
        point = torch.sigmoid(self.point_head(context))
        slot_xy = torch.cat([point[:, None], objects[..., [fx.ObjectColumn.SCREEN_X, fx.ObjectColumn.SCREEN_Y]]],
                            dim=1)
        target_xy = (weights[..., None] * slot_xy).sum(dim=1)
        info = torch.cat([self.info_head(context), target_xy], dim=-1)
        return TacticianOutput(torch.log(weights.clamp_min(1e-8)), self.approach_head(context), info, point)


# ====================================================================== executor
class Executor(nn.Module):
    """60 Hz: the hand. ``[state, goal, target info]`` (162) -> 256 + LayerNorm + GELU -> recurrent core ->
    head 256 -> 128 -> 4: cursor x, y logits, click and attack-key logits.

    The cursor logits are a residual on ``logit(previous + gate * (target_xy - previous))``, where ``previous``
    is the point the last frame commanded (``state`` columns 8-9) and ``gate`` in (0, 1) comes from a linear
    layer on the core's output. The gate starts near 1 (bias +4: 98 % of the way), so an untrained executor aims
    at its target; and "hold the hand still" (a human waits out a reaction time, or a settle, most frames) is
    the gate at 0, one number, instead of a head output that must undo ``logit(target_xy)``. Measured: with the
    bias alone (``logit(target_xy)`` added to the head), behaviour cloning on 691k expert frames reached a
    teacher-forced aim error of 38 px, but in closed loop the agent's cursor stayed 199 px from the expert's
    and it never clicked.
    """

    d_model = 256

    def __init__(self, config: HierarchyConfig = HierarchyConfig()) -> None:
        super().__init__()
        d = self.d_model
        self.embed = _embed(EXECUTOR_IN, d)
        kwargs: dict = {"num_layers": config.executor_layers}
        if config.executor_core == "mamba":
            kwargs.update(d_state=config.mamba_d_state, d_conv=config.mamba_d_conv)
        self.core: Backbone = make_backbone(config.executor_core, d, d, **kwargs)
        self.head = _mlp(d, 128, 4)
        # A zero last layer: the untrained executor adds nothing to the aim and does not hold the key; its click
        # logit starts at the expert's base rate, so its click timing (``policy.ClickTiming``) starts nearly idle.
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)
        with torch.no_grad():
            self.head[-1].bias[2] = CLICK_PRIOR_LOGIT
        self.gate = nn.Linear(d, 1) if config.executor_hold_gate else None
        if self.gate is not None:
            nn.init.zeros_(self.gate.weight)
            nn.init.constant_(self.gate.bias, GATE_START)

    def initial_state(self, batch_size: int) -> State:
        return self.core.initial_state(batch_size)

    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """``x [B, T, 162]`` -> (logits [B, T, 4], state after the last frame)."""
        _check_shape("Executor", "x", x, (None, None, EXECUTOR_IN))
        y, state = self.core(self.embed(x), state)
        return self._head(y, x), state

    def step(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """One frame: ``x [B, 162]`` -> (logits [B, 4], state)."""
        _check_shape("Executor.step", "x", x, (None, EXECUTOR_IN))
        y, state = self.core.step(self.embed(x), state)
        return self._head(y, x), state

    def _head(self, y: Tensor, x: Tensor) -> Tensor:
        out = self.head(y)
        target_xy = x[..., -2:]
        previous = x[..., PREVIOUS_COMMAND]
        aim = target_xy if self.gate is None else previous + torch.sigmoid(self.gate(y)) * (target_xy - previous)
        bias = torch.cat([torch.logit(aim.clamp(CURSOR_EPS, 1.0 - CURSOR_EPS)), torch.zeros_like(aim)], dim=-1)
        return out + bias


def executor_input(state: Tensor, goal: Tensor, target_info: Tensor) -> Tensor:
    """The executor's 162 inputs in their order."""
    return torch.cat([state, goal, target_info], dim=-1)


def action_from_logits(logits: Tensor) -> Tensor:
    """Executor logits -> the env's action ``[cursor x, cursor y, click, attack]`` in [0, 1] (greedy buttons)."""
    return torch.cat([torch.sigmoid(logits[..., :2]), (logits[..., 2:] > 0).to(logits.dtype)], dim=-1)


# ====================================================================== all three
class Hierarchy(nn.Module):
    """The three levels together (one state dict, one checkpoint)."""

    def __init__(self, config: HierarchyConfig = HierarchyConfig()) -> None:
        super().__init__()
        self.config = config
        self.strategist = Strategist(config)
        self.tactician = Tactician(config.tactician_goal_residual)
        self.executor = Executor(config)

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per level (the strategist's training-only goal decoder excluded)."""
        counts = {name: sum(p.numel() for p in level.parameters())
                  for name, level in (("strategist", self.strategist), ("tactician", self.tactician),
                                      ("executor", self.executor))}
        counts["strategist"] -= sum(p.numel() for p in self.strategist.goal_decoder.parameters())
        counts["total"] = sum(counts.values())
        return counts


def _check_shape(owner: str, name: str, tensor: Tensor, shape: tuple[int | None, ...]) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{owner}: {name} must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.ndim != len(shape) or any(w is not None and w != g for w, g in zip(shape, tensor.shape, strict=True)):
        want = "[" + ", ".join("*" if w is None else str(w) for w in shape) + "]"
        raise ValueError(f"{owner}: {name} must have shape {want}, got {list(tensor.shape)}")
