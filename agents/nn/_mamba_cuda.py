"""The optional mamba-ssm CUDA path for :class:`~botarena.agents.nn.mamba.Mamba`, isolated from the rest.

mamba-ssm is CUDA-only and heavy (``pip install botarena[cuda]``); nothing here runs at import time. The
first call tries ``mamba_ssm.ops.selective_scan_interface.selective_scan_fn`` once and remembers the outcome;
any failure (package missing, CUDA or ABI mismatch, no GPU driver) means the caller falls back to the PyTorch
scan.

Why not ``mamba_inner_fn`` (mamba-ssm's fully fused path)? It cannot return the final SSM state, which RL
needs to carry into the next segment. ``selective_scan_fn(..., return_last_state=True)`` can, so this mirrors
mamba-ssm's own "slow path" in ``Mamba.forward`` (``mamba_ssm/modules/mamba_simple.py``). The kernel cannot
start from a given state (its ``prev_state`` argument is recent and not supported in backward), so callers
only use this path when no initial state is given. The returned state carries no gradient (a kernel
limitation).

This file cannot be tested without a GPU; ``tests/agents/nn/test_mamba.py`` compares it with the PyTorch
path on the same weights whenever CUDA and mamba-ssm are both present.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor

if TYPE_CHECKING:  # pragma: no cover
    from .mamba import Mamba

logger = logging.getLogger(__name__)

_UNTRIED = object()
_selective_scan_fn: Any = _UNTRIED


def load_selective_scan_fn() -> Callable[..., Any] | None:
    """mamba-ssm's ``selective_scan_fn``, or None when it cannot be imported (tried once per process)."""
    global _selective_scan_fn
    if _selective_scan_fn is _UNTRIED:
        try:
            from mamba_ssm.ops.selective_scan_interface import selective_scan_fn
        except Exception as exc:  # noqa: BLE001 - a broken CUDA build raises OSError/RuntimeError, not ImportError
            logger.debug("mamba-ssm kernels unavailable, using the PyTorch scan: %r", exc)
            _selective_scan_fn = None
        else:
            _selective_scan_fn = selective_scan_fn
    return _selective_scan_fn


def cuda_forward(m: Mamba, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]] | None:
    """``m``'s forward from a fresh state through mamba-ssm's kernel; None when the kernel is unavailable."""
    scan = load_selective_scan_fn()
    if scan is None:
        return None
    length = x.shape[1]
    xz = m.in_proj(x).transpose(1, 2)  # [B, 2 * d_inner, L]: the kernel wants time last
    x_in, z = xz.chunk(2, dim=1)
    # The last d_conv inputs, zero-padded on the left for short sequences (F.pad truncates when the pad is
    # negative); mamba-ssm fills its inference cache the same way.
    conv_state = F.pad(x_in, (m.d_conv - length, 0)).contiguous()
    u = F.conv1d(x_in, m.conv1d.weight, m.conv1d.bias, padding=m.d_conv - 1, groups=m.d_inner)[..., :length]
    u = F.silu(u)
    dt, b, c = m.x_proj(u.transpose(1, 2)).split([m.dt_rank, m.d_state, m.d_state], dim=-1)
    delta = F.linear(dt, m.dt_proj.weight).transpose(1, 2)  # the kernel adds dt_proj.bias itself
    a = -torch.exp(m.A_log.float())
    y, last_state = scan(
        u.contiguous(),
        delta.contiguous(),
        a,
        b.transpose(1, 2).contiguous(),
        c.transpose(1, 2).contiguous(),
        m.D.float(),
        z=z.contiguous(),
        delta_bias=m.dt_proj.bias.float(),
        delta_softplus=True,
        return_last_state=True,
    )
    return m.out_proj(y.transpose(1, 2)), (conv_state, last_state)
