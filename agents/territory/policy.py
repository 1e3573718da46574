"""Territory's learned policies: SB3 feature extractors for MaskablePPO, and the agent that plays a checkpoint.

Two extractors read the observation ``Dict`` (``map`` uint8 [C, H, W], which SB3 scales to [0, 1] as an image;
``global`` float32 [G]; the ``action_mask`` is MaskablePPO's, not an input):

* ``attention`` (:class:`AttentionCNN`, the reference design): a gated CNN over the map, a small MLP over the
  global features, and cross-attention both ways between the map's cells and the global tokens (the player's
  summary and one token per attack slot), fused into 256 features. It pools globally, so the same weights play
  any map size: the map is zero-padded up to a multiple of 32 first, which also gives the third convolution room
  on the 64x64 duel map (unpadded it has none below about 96x96).
* ``flatten`` (:class:`FlattenCNN`, the baseline the attention net replaced): Nature-CNN-style convolutions,
  flattened into one large Linear layer; tied to the map size it was built for.
* ``gridnet`` (:class:`GridNet` with :class:`GridNetPolicy`, the fully convolutional baseline): a small U-Net
  that plays ``action_mode="cell"``, one logit per map cell, so it can aim at any tile a bot can; its weights
  do not depend on the map size, but cell mode's action space (and so a checkpoint) does.

MaskablePPO's heads sit on the 256 features (``net_arch``: actor 256 -> 128 -> actions, critic 256 -> 128 -> 1;
the gridnet's cell logits bypass them, see :class:`GridNetHeads`).
Every activation is ReLU.

>>> from botarena.agents import make_agent                       # doctest: +SKIP
>>> agent = make_agent("territory/ppo-attention")                 # the shipped checkpoint
>>> agent.reset(seed=0); action = agent.act(obs)                  # obs from botarena/Territory-v2
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib.common.maskable.policies import MaskableMultiInputActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import Tensor, nn

from botarena.agents.common.checkpoint import CheckpointError, load_checkpoint, load_weights_into
from botarena.agents.common.protocol import BaseAgent
from botarena.envs.territory import observe

FEATURES_DIM = 256
HEAD_ARCH = {"pi": [128], "vf": [128]}
PAD_MULTIPLE = 32  # the three convolutions' total stride
GRIDNET_GLOBAL_PLANES = 8


class SpatialGate(nn.Module):
    """``x * sigmoid(Conv1x1(x))``: one learned weight per cell, shared by every channel."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gate = nn.Conv2d(channels, 1, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(self.gate(x))


def pad_to_multiple(x: Tensor, multiple: int = PAD_MULTIPLE) -> Tensor:
    """Zero-pad the bottom and right of ``[B, C, H, W]`` up to multiples of ``multiple`` (at least one)."""
    h, w = x.shape[-2:]
    ph = max(multiple, math.ceil(h / multiple) * multiple) - h
    pw = max(multiple, math.ceil(w / multiple) * multiple) - w
    return nn.functional.pad(x, (0, pw, 0, ph)) if ph or pw else x


@functools.lru_cache(maxsize=16)
def cell_positions(h: int, w: int, dim: int, device: torch.device) -> Tensor:
    """Sine-cosine encodings of each cell's (y, x) in [0, 1], ``[h * w, dim]``: the same on every map size
    (cached: a constant, and computing it was a tenth of a batch-1 forward pass)."""
    ys, xs = torch.meshgrid(torch.linspace(0, 1, h, device=device), torch.linspace(0, 1, w, device=device),
                            indexing="ij")
    freqs = torch.pi * 2.0 ** torch.arange(dim // 4, device=device, dtype=torch.float32)
    parts = [f(c.reshape(-1, 1) * freqs) for c in (ys, xs) for f in (torch.sin, torch.cos)]
    return torch.cat(parts, dim=1)


class AttentionCNN(BaseFeaturesExtractor):
    """The reference extractor (see the module docstring); ``global`` is read as ``observe.GLOBAL_SLOTS`` summary
    features then ``observe.SLOT_FEATURES`` per attack slot (Territory-v2; v1's 16 features give no slot tokens).
    """

    def __init__(self, observation_space: gym.spaces.Dict, width: int = 128, heads: int = 4) -> None:
        super().__init__(observation_space, FEATURES_DIM)
        channels = observation_space["map"].shape[0]
        global_dim = observation_space["global"].shape[0]
        self.summary_dim = min(global_dim, observe.GLOBAL_SLOTS)
        self.num_slots = (global_dim - self.summary_dim) // observe.SLOT_FEATURES
        self.width = width

        def block(c_in: int, c_out: int, kernel: int, stride: int, pad: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, pad), nn.BatchNorm2d(c_out), nn.ReLU(),
                                 SpatialGate(c_out))

        self.convs = nn.Sequential(block(channels, 32, 8, 4, 2), block(32, 64, 4, 4, 0), block(64, width, 4, 2, 1))
        self.map_out = nn.Sequential(nn.Linear(width, 256), nn.ReLU())
        self.summary = nn.Sequential(nn.Linear(self.summary_dim, width), nn.ReLU(), nn.Linear(width, width))
        self.slot = nn.Linear(observe.SLOT_FEATURES, width)
        self.slot_index = nn.Parameter(torch.zeros(max(self.num_slots, 1), width))
        self.map_reads_global = nn.MultiheadAttention(width, heads, batch_first=True)
        self.global_reads_map = nn.MultiheadAttention(width, heads, batch_first=True)
        self.fuse = nn.Sequential(nn.Linear(256 + 2 * width, FEATURES_DIM), nn.ReLU())
        # BatchNorm's statistics stay fixed in PPO's updates (see ``set_norm_frozen``).
        self.norm_frozen = True

    def train(self, mode: bool = True) -> AttentionCNN:
        super().train(mode)
        if self.norm_frozen:
            for module in self.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        return self

    def forward(self, obs: dict[str, Tensor]) -> Tensor:
        x = self.convs(pad_to_multiple(obs["map"].float()))
        b, c, h, w = x.shape
        cells = x.flatten(2).transpose(1, 2)  # [B, h*w, width]
        cells = cells + cell_positions(h, w, c, x.device)
        glob = obs["global"].float()
        tokens = [self.summary(glob[:, :self.summary_dim]).unsqueeze(1)]
        if self.num_slots:
            slots = glob[:, self.summary_dim:].reshape(b, self.num_slots, observe.SLOT_FEATURES)
            tokens.append(self.slot(slots) + self.slot_index)
        tokens = torch.cat(tokens, dim=1)  # [B, 1 + slots, width]
        map_vec = self.map_out(x.mean(dim=(2, 3)))
        cells_read, _ = self.map_reads_global(cells, tokens, tokens, need_weights=False)
        tokens_read, _ = self.global_reads_map(tokens, cells, cells, need_weights=False)
        return self.fuse(torch.cat([map_vec, cells_read.mean(dim=1), (tokens + tokens_read).mean(dim=1)], dim=1))


class FlattenCNN(BaseFeaturesExtractor):
    """The baseline: Conv 8x8/4 -> 32, 4x4/2 -> 64, 3x3/1 -> 64, flattened (12,544 at 128x128) -> 512; the
    global features -> 128; concatenated -> 256. Its Linear layer fixes the map size."""

    def __init__(self, observation_space: gym.spaces.Dict) -> None:
        super().__init__(observation_space, FEATURES_DIM)
        channels, h, w = observation_space["map"].shape
        self.convs = nn.Sequential(nn.Conv2d(channels, 32, 8, 4, 2), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
                                   nn.Conv2d(64, 64, 3, 1, 0), nn.ReLU(), nn.Flatten())
        with torch.no_grad():
            flat = self.convs(torch.zeros(1, channels, h, w)).shape[1]
        self.map_out = nn.Sequential(nn.Linear(flat, 512), nn.ReLU())
        self.glob = nn.Sequential(nn.Linear(observation_space["global"].shape[0], 128), nn.ReLU())
        self.fuse = nn.Sequential(nn.Linear(512 + 128, FEATURES_DIM), nn.ReLU())

    def forward(self, obs: dict[str, Tensor]) -> Tensor:
        return self.fuse(torch.cat([self.map_out(self.convs(obs["map"].float())),
                                    self.glob(obs["global"].float())], dim=1))


def conv_block(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1), nn.ReLU())


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1), nn.ReLU(),
                                  nn.Conv2d(channels, channels, 3, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x + self.body(x))


class GridNet(BaseFeaturesExtractor):
    """The fully convolutional baseline (Gym-muRTS GridNet, the Lux AI winners' U-Nets), for ``action_mode="cell"``.

    The global features are broadcast as ``GRIDNET_GLOBAL_PLANES`` extra planes; a U-Net (full resolution ->
    1/2 -> 1/4, one residual block, back up with skip connections) ends in a 1x1 convolution: one logit per cell.
    Its output is those ``H*W`` logits followed by a 256-feature trunk (the bottleneck pooled, with the global
    features), which :class:`GridNetHeads` turns into the no-op and intensity logits and the value. Widths are
    ``width``, 2x, 4x: every full-resolution layer costs H*W times its kernel, so it is kept narrow.
    """

    def __init__(self, observation_space: gym.spaces.Dict, width: int = 8) -> None:
        channels, h, w = observation_space["map"].shape
        super().__init__(observation_space, h * w + FEATURES_DIM)
        global_dim = observation_space["global"].shape[0]
        self.glob = nn.Sequential(nn.Linear(global_dim, 64), nn.ReLU())
        self.planes = nn.Linear(64, GRIDNET_GLOBAL_PLANES)
        self.stem = conv_block(channels + GRIDNET_GLOBAL_PLANES, width)
        self.down1 = conv_block(width, 2 * width, stride=2)
        self.down2 = conv_block(2 * width, 4 * width, stride=2)
        self.middle = ResidualBlock(4 * width)
        self.up2 = nn.ConvTranspose2d(4 * width, 2 * width, 2, 2)
        self.merge2 = conv_block(4 * width, 2 * width)
        self.up1 = nn.ConvTranspose2d(2 * width, width, 2, 2)
        self.merge1 = conv_block(2 * width, width)
        self.cell_logit = nn.Conv2d(width, 1, 1)
        self.trunk = nn.Sequential(nn.Linear(4 * width + 64, FEATURES_DIM), nn.ReLU())
        # Near-uniform cell choice at the start, as SB3 initialises its action layers (gain 0.01).
        nn.init.orthogonal_(self.cell_logit.weight, gain=0.01)
        nn.init.zeros_(self.cell_logit.bias)

    def forward(self, obs: dict[str, Tensor]) -> Tensor:
        grid = obs["map"].float()
        b, _, h, w = grid.shape
        glob = self.glob(obs["global"].float())
        planes = self.planes(glob)[:, :, None, None].expand(-1, -1, h, w)
        x0 = self.stem(pad_to_multiple(torch.cat([grid, planes], dim=1), 4))
        x1 = self.down1(x0)
        x2 = self.middle(self.down2(x1))
        y1 = self.merge2(torch.cat([self.up2(x2), x1], dim=1))
        y0 = self.merge1(torch.cat([self.up1(y1), x0], dim=1))
        logits = self.cell_logit(y0)[:, 0, :h, :w].reshape(b, h * w)
        trunk = self.trunk(torch.cat([x2.mean(dim=(2, 3)), glob], dim=1))
        return torch.cat([logits, trunk], dim=1)


class GridNetHeads(nn.Module):
    """SB3's ``mlp_extractor`` slot for :class:`GridNet`: the actor's latent *is* the logits of cell mode's
    ``MultiDiscrete([H*W + 1, 5])`` (the cells', then the no-op's from the trunk, then the intensities'), and the
    critic's is a 128-unit layer on the trunk."""

    def __init__(self, cells: int, intensities: int) -> None:
        super().__init__()
        self.cells = cells
        self.latent_dim_pi = cells + 1 + intensities
        self.latent_dim_vf = HEAD_ARCH["vf"][0]
        self.other_logits = nn.Linear(FEATURES_DIM, 1 + intensities)  # the no-op, then each intensity
        nn.init.orthogonal_(self.other_logits.weight, gain=0.01)
        nn.init.zeros_(self.other_logits.bias)
        self.critic = nn.Sequential(nn.Linear(FEATURES_DIM, self.latent_dim_vf), nn.ReLU())

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        return self.forward_actor(features), self.forward_critic(features)

    def forward_actor(self, features: Tensor) -> Tensor:
        return torch.cat([features[:, :self.cells], self.other_logits(features[:, self.cells:])], dim=1)

    def forward_critic(self, features: Tensor) -> Tensor:
        return self.critic(features[:, self.cells:])


class GridNetPolicy(MaskableMultiInputActorCriticPolicy):
    """MaskablePPO's policy for :class:`GridNet`: the cell factor's logits come from the convolutions, so the
    usual Linear action layer (``latent -> logits``, H*W + 6 squared weights) is replaced by the identity."""

    def _build_mlp_extractor(self) -> None:
        cells, intensities = (int(n) for n in self.action_space.nvec)
        self.mlp_extractor = GridNetHeads(cells - 1, intensities)

    def _build(self, lr_schedule: Any) -> None:
        self._build_mlp_extractor()
        self.action_net = nn.Identity()
        self.value_net = nn.Linear(self.mlp_extractor.latent_dim_vf, 1)
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)


def set_norm_frozen(policy: Any, frozen: bool) -> None:
    """Fix (or free) the BatchNorm statistics of a policy's attention extractor in training mode.

    PPO collects its rollouts in eval mode and updates in training mode; with BatchNorm learning from each
    minibatch the two are different networks, and fine-tuning the cloned policy lost every duel it had won
    within 45k steps. Cloning (supervised, one mode) frees them; PPO keeps them fixed.
    """
    for module in policy.modules():
        if isinstance(module, AttentionCNN):
            module.norm_frozen = frozen
    policy.set_training_mode(policy.training)


EXTRACTORS: dict[str, type[BaseFeaturesExtractor]] = {"attention": AttentionCNN, "flatten": FlattenCNN,
                                                      "gridnet": GridNet}
ACTION_MODES = {"attention": "direction", "flatten": "direction", "gridnet": "cell"}


def policy_class(arch: str) -> type:
    """The MaskablePPO policy class an architecture trains with."""
    return GridNetPolicy if arch == "gridnet" else MaskableMultiInputActorCriticPolicy


def policy_kwargs(arch: str) -> dict[str, Any]:
    """MaskablePPO's ``policy_kwargs`` for an architecture name."""
    if arch not in EXTRACTORS:
        raise ValueError(f"arch must be one of {list(EXTRACTORS)}, got {arch!r}")
    return {"features_extractor_class": EXTRACTORS[arch], "net_arch": dict(HEAD_ARCH),
            "activation_fn": nn.ReLU, "share_features_extractor": True}


def build_policy(arch: str, observation_space: gym.spaces.Dict, action_space: gym.spaces.Space) -> Any:
    """A fresh MaskablePPO policy (what ``MaskablePPO("MultiInputPolicy", ..., policy_kwargs=...)`` builds)."""
    return policy_class(arch)(observation_space, action_space, lambda _: 0.0, **policy_kwargs(arch))


class TerritoryPolicyAgent(BaseAgent):
    """A trained Territory policy as an agent: the greedy (or sampled) valid action for each observation.

    Args:
        checkpoint: a file written by ``botarena train territory`` (``load_checkpoint`` format).
        name: the registry name the checkpoint must hold.
        deterministic: greedy actions (the leaderboard's setting) or samples from the agent's generator.
    """

    def __init__(self, checkpoint: str | Path, *, name: str = "territory/ppo-attention",
                 deterministic: bool = True) -> None:
        super().__init__(deterministic=deterministic)
        self.name = name
        state_dict, card, _ = load_checkpoint(checkpoint, expected_name=name)
        self.card = card
        try:
            env = card.config["env"]
            arch = card.config["arch"]
        except (KeyError, TypeError) as err:
            raise CheckpointError(f"checkpoint {checkpoint}: its card has no config['env'] / config['arch']") from err
        self.env_kwargs = dict(env)
        obs_space, act_space = observation_and_action_spaces(self.env_kwargs)
        self.policy = build_policy(arch, obs_space, act_space)
        load_weights_into(self.policy, state_dict, source=str(checkpoint))
        self.policy.set_training_mode(False)
        self.observation_space = obs_space

    def act(self, obs: dict[str, np.ndarray]) -> Any:
        batch = {k: np.asarray(v)[None] for k, v in obs.items()}
        return self.act_batch(batch)[0]

    def act_batch(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        if self.deterministic:
            return greedy_actions(self.policy, obs)
        probs = action_probabilities(self.policy, obs)
        factors = np.split(probs, np.cumsum(factor_sizes(self.policy.action_space))[:-1], axis=1)
        sampled = np.array([[self.rng.choice(len(p), p=p) for p in factor] for factor in factors], np.int64).T
        return sampled[:, 0] if len(factors) == 1 else sampled


def _distribution(policy: Any, obs: dict[str, np.ndarray]) -> Any:
    # Not ``policy.obs_to_tensor``: it insists on the training map's size, and the attention net plays any.
    tensors = {k: torch.as_tensor(np.asarray(v)) for k, v in obs.items() if k != "action_mask"}
    return policy.get_distribution(tensors, action_masks=np.asarray(obs["action_mask"]).astype(bool))


def factor_sizes(action_space: gym.spaces.Space) -> list[int]:
    """The sizes of an action space's independent factors: ``[45]`` (direction), ``[H*W + 1, 5]`` (cell)."""
    return [int(n) for n in action_space.nvec] if hasattr(action_space, "nvec") else [int(action_space.n)]


def greedy_actions(policy: Any, obs: dict[str, np.ndarray]) -> np.ndarray:
    """The most probable valid action of each observation in a batch, as int64 ``[B]`` (direction mode) or
    ``[B, 2]`` (cell mode: each factor's most probable valid value)."""
    with torch.no_grad():
        return _distribution(policy, obs).get_actions(deterministic=True).cpu().numpy().astype(np.int64)


def sampled_actions(policy: Any, obs: dict[str, np.ndarray]) -> np.ndarray:
    """Actions sampled from the masked distribution (what PPO's rollouts play), from torch's global generator."""
    with torch.no_grad():
        return _distribution(policy, obs).get_actions(deterministic=False).cpu().numpy().astype(np.int64)


def action_probabilities(policy: Any, obs: dict[str, np.ndarray]) -> np.ndarray:
    """The masked action distribution of each observation in a batch, float64 ``[B, A]``: each factor's
    probabilities side by side (``factor_sizes``), each factor summing to 1."""
    with torch.no_grad():
        dist = _distribution(policy, obs)
        factors = dist.distributions if hasattr(dist, "distributions") else [dist.distribution]  # Multi/Categorical
        parts = [d.probs.cpu().numpy().astype(np.float64) for d in factors]
    return np.concatenate([p / p.sum(axis=1, keepdims=True) for p in parts], axis=1)


def observation_and_action_spaces(env_kwargs: dict[str, Any]) -> tuple[gym.spaces.Dict, gym.spaces.Space]:
    """The single-seat spaces of a Territory env built with ``env_kwargs`` (no game is played)."""
    from botarena.envs.territory.env import DEFAULT_RULES, resolve_dims, territory_spaces

    h, w, _, _ = resolve_dims(env_kwargs.get("preset"), env_kwargs.get("num_players"), env_kwargs.get("map_size"),
                              env_kwargs.get("map_png"))
    return territory_spaces(h, w, env_kwargs.get("action_mode", "direction"),
                            env_kwargs.get("rules", DEFAULT_RULES))
