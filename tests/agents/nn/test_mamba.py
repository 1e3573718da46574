"""The Mamba block: mamba-ssm's maths, names and state layout; forward == step; state carried in chunks."""

from __future__ import annotations

import importlib
import importlib.abc
import io
import math
import sys
import types

import pytest
import torch
import torch.nn.functional as F

from botarena.agents.nn import Mamba, _mamba_cuda

# Parameter names and shapes of mamba_ssm.Mamba(d_model=16, d_state=8, d_conv=4, expand=2), read from
# mamba_ssm/modules/mamba_simple.py: d_inner = 32, dt_rank = ceil(16 / 16) = 1, bias=False, conv_bias=True.
MAMBA_SSM_PARAMETER_SHAPES = {
    "A_log": (32, 8),
    "D": (32,),
    "in_proj.weight": (64, 16),
    "conv1d.weight": (32, 1, 4),
    "conv1d.bias": (32,),
    "x_proj.weight": (17, 32),
    "dt_proj.weight": (32, 1),
    "dt_proj.bias": (32,),
    "out_proj.weight": (16, 32),
}
SMALL = {"d_model": 16, "d_state": 8, "d_conv": 4, "expand": 2}
FP32_TOLERANCE = {"rtol": 6e-4, "atol": 2e-3}  # mamba-ssm's own fp32 tolerances in its tests


def make(seed: int = 0, dtype: torch.dtype = torch.float64, **kw) -> Mamba:
    torch.manual_seed(seed)
    return Mamba(**{**SMALL, **kw}).to(dtype)


def randn(*shape, seed: int = 1, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def random_state(m: Mamba, batch: int, seed: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    conv = randn(batch, m.d_inner, m.d_conv, seed=seed)
    ssm = randn(batch, m.d_inner, m.d_state, seed=seed + 1)
    return conv, ssm


def reference_forward(m: Mamba, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """mamba-ssm's Mamba.forward without its kernels, written from its source (the conv1d module with its
    padding, then selective_scan_ref one step at a time): slow truth that shares no code with the module."""
    length = x.shape[1]
    x_in, z = m.in_proj(x).transpose(1, 2).chunk(2, dim=1)  # [B, d_inner, L]
    x_in = F.silu(m.conv1d(x_in)[..., :length])
    dt, b, c = m.x_proj(x_in.transpose(1, 2)).split([m.dt_rank, m.d_state, m.d_state], dim=-1)
    delta = F.softplus(F.linear(dt, m.dt_proj.weight) + m.dt_proj.bias)  # [B, L, d_inner]
    a = -torch.exp(m.A_log.to(x.dtype))
    h = x.new_zeros(x.shape[0], m.d_inner, m.d_state)
    ys = []
    for t in range(length):
        h = (
            torch.exp(delta[:, t, :, None] * a) * h
            + (delta[:, t] * x_in[:, :, t])[..., None] * b[:, t, None, :]
        )
        ys.append(torch.einsum("bdn,bn->bd", h, c[:, t]))
    y = (torch.stack(ys, dim=-1) + x_in * m.D[:, None]) * F.silu(z)
    return m.out_proj(y.transpose(1, 2)), h


# ----------------------------------------------------------------------------------------------------
# Weights: names, shapes, initialisation, state dicts
# ----------------------------------------------------------------------------------------------------


def test_parameter_names_and_shapes_are_mamba_ssms():
    m = Mamba(**SMALL)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == MAMBA_SSM_PARAMETER_SHAPES
    assert list(m.state_dict()) == list(MAMBA_SSM_PARAMETER_SHAPES)  # even the order: A_log and D first


def test_initialisation_follows_mamba_ssm():
    m = Mamba(d_model=32, d_state=8, dt_min=0.001, dt_max=0.1, dt_init_floor=1e-4, dtype=torch.float64)
    expected_a_log = torch.log(torch.arange(1, 9, dtype=torch.float32)).repeat(m.d_inner, 1)
    # S4D-Real A, kept in float32 whatever the factory dtype, as mamba-ssm does.
    assert m.A_log.dtype == torch.float32 and torch.equal(m.A_log.data, expected_a_log)
    assert m.D.dtype == torch.float32 and torch.equal(m.D.data, torch.ones(m.d_inner))
    dt = F.softplus(m.dt_proj.bias.data)  # the bias is softplus^-1 of dt drawn in [dt_min, dt_max]
    assert dt.min() >= 0.001 * (1 - 1e-6) and dt.max() <= 0.1 * (1 + 1e-6)
    bound = m.dt_rank**-0.5
    assert m.dt_proj.weight.abs().max() <= bound and m.dt_proj.weight.std() > bound / 4
    assert m.A_log._no_weight_decay and m.D._no_weight_decay and m.dt_proj.bias._no_reinit
    assert m.dt_rank == math.ceil(32 / 16) and Mamba(d_model=16, dt_rank=5).dt_rank == 5


def test_state_dict_moves_between_modules_unchanged():
    source, target = make(seed=0, dtype=torch.float32), make(seed=1, dtype=torch.float32)
    buffer = io.BytesIO()
    torch.save(source.state_dict(), buffer)
    buffer.seek(0)
    target.load_state_dict(torch.load(buffer, weights_only=True))  # strict: no missing or extra keys
    x = randn(2, 7, 16, dtype=torch.float32)
    torch.testing.assert_close(target(x)[0], source(x)[0], rtol=0, atol=0)


# ----------------------------------------------------------------------------------------------------
# Maths: reference, forward == step, chunks, gradients
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scan", ["sequential", "parallel"])
def test_forward_computes_mamba_ssms_function(scan):
    m = make(scan=scan)
    x = randn(3, 11, 16)
    y, (conv_state, ssm_state) = m(x)
    y_ref, h_ref = reference_forward(m, x)
    torch.testing.assert_close(y, y_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(ssm_state, h_ref, rtol=0, atol=1e-12)
    # The conv cache holds the last d_conv inputs of the convolution, as mamba-ssm's inference cache.
    x_in = m.in_proj(x)[..., : m.d_inner].transpose(1, 2)
    torch.testing.assert_close(conv_state, x_in[..., -m.d_conv :], rtol=0, atol=0)
    assert m.last_backend == f"torch-{scan}"


@pytest.mark.parametrize("scan", ["sequential", "parallel"])
@pytest.mark.parametrize("from_state", [False, True])
def test_forward_equals_stepping_token_by_token(scan, from_state):
    m = make(scan=scan)
    x = randn(3, 11, 16)
    state = random_state(m, 3) if from_state else None
    y, final = m(x, state)
    step_state, ys = state, []
    for t in range(x.shape[1]):
        y_t, step_state = m.step(x[:, t], step_state)
        ys.append(y_t)
    assert m.last_backend == "torch-sequential"
    torch.testing.assert_close(torch.stack(ys, 1), y, rtol=0, atol=1e-12)
    for got, want in zip(step_state, final, strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("options", [{"bias": True, "conv_bias": False}, {"expand": 1.5, "dt_rank": 3}])
def test_other_mamba_ssm_options_keep_forward_equal_to_step(options):
    m = make(**options)
    assert (m.in_proj.bias is not None) == options.get("bias", False)
    x, state = randn(2, 6, 16), None
    y, _ = m(x)
    for t in range(6):
        y_t, state = m.step(x[:, t], state)
        torch.testing.assert_close(y_t, y[:, t], rtol=0, atol=1e-12)


def test_forward_in_chunks_with_carried_state_equals_one_forward():
    m = make()
    x = randn(2, 12, 16)
    state = random_state(m, 2)
    y, final = m(x, state)
    pieces = []
    for chunk in (x[:, :1], x[:, 1:3], x[:, 3:10], x[:, 10:]):  # include chunks shorter than d_conv
        y_chunk, state = m(chunk, state)
        pieces.append(y_chunk)
    torch.testing.assert_close(torch.cat(pieces, 1), y, rtol=0, atol=1e-12)
    for got, want in zip(state, final, strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def test_state_none_means_zeros_and_inputs_are_not_modified():
    m = make()
    x = randn(2, 5, 16)
    state = m.initial_state(2)
    kept = tuple(s.clone() for s in state)
    torch.testing.assert_close(m(x, state)[0], m(x)[0], rtol=0, atol=0)
    m.step(x[:, 0], state)
    assert all(torch.equal(a, b) for a, b in zip(state, kept, strict=True))


def test_gradients_flow_to_every_parameter_and_through_the_state():
    m = make(dtype=torch.float32)
    x = randn(2, 9, 16, dtype=torch.float32).requires_grad_()
    conv, ssm = (s.float().requires_grad_() for s in random_state(m, 2))
    y, (conv_out, ssm_out) = m(x, (conv, ssm))
    (y.pow(2).mean() + ssm_out.pow(2).mean() + conv_out.sum()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, f"no gradient reaches {name}"
    for name, t in (("x", x), ("conv_state", conv), ("ssm_state", ssm)):
        assert t.grad is not None and t.grad.abs().sum() > 0, name


def test_gradcheck_through_the_fused_scan():
    # Finite differences against the custom backward, through the whole block and the carried state.
    m = make(d_model=4, d_state=2, expand=1)
    x = randn(2, 5, 4).requires_grad_()
    conv, ssm = (s.requires_grad_() for s in random_state(m, 2))

    def run(x, conv, ssm):
        y, (c, h) = m(x, (conv, ssm))
        return y, c, h

    assert torch.autograd.gradcheck(run, (x, conv, ssm), fast_mode=True)


def test_cached_A_for_rollouts_follows_parameter_updates():
    m = make()
    x, state = randn(2, 16), random_state(m, 2)
    with torch.no_grad():
        before = m.step(x, state)[0]
        m.A_log.add_(0.5)  # what an optimizer step does, in place
        after = m.step(x, state)[0]
    assert not torch.allclose(after, before)
    torch.testing.assert_close(after, m.step(x, state)[0], rtol=0, atol=0)  # grad on: computed afresh


def test_half_precision_inputs_keep_a_float32_state():
    m = make(dtype=torch.bfloat16)
    y, (conv, ssm) = m(randn(2, 6, 16, dtype=torch.bfloat16))
    y_t, (_, ssm_t) = m.step(randn(2, 16, dtype=torch.bfloat16), (conv, ssm))
    assert y.dtype == y_t.dtype == conv.dtype == torch.bfloat16
    assert ssm.dtype == ssm_t.dtype == torch.float32


def test_float32_module_accepts_batch_one_and_length_one():
    m = make(dtype=torch.float32)
    y, state = m(randn(1, 1, 16, dtype=torch.float32))
    assert y.shape == (1, 1, 16) and state[0].shape == (1, 32, 4) and state[1].shape == (1, 32, 8)


# ----------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------


def test_bad_input_gets_clear_errors():
    m = Mamba(**SMALL)
    with pytest.raises(ValueError, match=r"last dim of x must be d_model=16, got shape \(2, 5, 15\)"):
        m(torch.zeros(2, 5, 15))
    with pytest.raises(ValueError, match=r"3 dims \[batch, length, d_model\].*\(2, 16\).*use step\(\)"):
        m(torch.zeros(2, 16))
    with pytest.raises(ValueError, match=r"Mamba.step: x must have 2 dims \[batch, d_model\]"):
        m.step(torch.zeros(2, 1, 16))
    with pytest.raises(TypeError, match="floating point, got dtype torch.int64"):
        m(torch.zeros(2, 5, 16, dtype=torch.long))
    with pytest.raises(ValueError, match="sequence length must be at least 1"):
        m(torch.zeros(2, 0, 16))
    conv, ssm = m.initial_state(2)
    with pytest.raises(ValueError, match=r"conv_state has shape \(2, 32, 3\), expected \(2, 32, 4\)"):
        m(torch.zeros(2, 5, 16), (conv[..., :3], ssm))
    with pytest.raises(ValueError, match=r"ssm_state has shape \(3, 32, 8\), expected \(2, 32, 8\)"):
        m.step(torch.zeros(2, 16), (conv, torch.zeros(3, 32, 8)))
    with pytest.raises(ValueError, match=r"state must be None or the pair \(conv_state.*got 1 items"):
        m(torch.zeros(2, 5, 16), (conv,))
    with pytest.raises(ValueError, match="scan must be one of"):
        Mamba(16, scan="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="d_state must be a positive int"):
        Mamba(16, d_state=0)
    with pytest.raises(ValueError, match=r"expand must make d_inner = int\(expand \* d_model\) >= 1"):
        Mamba(16, expand=0)


# ----------------------------------------------------------------------------------------------------
# The mamba-ssm backend: lazy import, quiet fallback, and its plumbing checked on CPU with a stand-in kernel
# ----------------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_kernel_cache(monkeypatch):
    monkeypatch.setattr(_mamba_cuda, "_selective_scan_fn", _mamba_cuda._UNTRIED)


class _RecordMambaSSMImports(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.attempts: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] == "mamba_ssm":
            self.attempts.append(fullname)
            raise ImportError(f"{fullname} blocked by the test")
        return None


def test_importing_the_package_does_not_import_mamba_ssm(monkeypatch):
    # Re-import botarena.agents.nn from scratch with every mamba_ssm import recorded, even one whose error
    # would be caught; monkeypatch puts the original modules back afterwards.
    import botarena.agents

    monkeypatch.setattr(botarena.agents, "nn", botarena.agents.nn)  # the re-import rebinds it
    for name in list(sys.modules):
        if name.split(".")[0] == "mamba_ssm" or name.startswith("botarena.agents.nn"):
            monkeypatch.delitem(sys.modules, name)
    recorder = _RecordMambaSSMImports()
    monkeypatch.setattr(sys, "meta_path", [recorder, *sys.meta_path])
    fresh = importlib.import_module("botarena.agents.nn")
    assert fresh.Mamba is not Mamba and recorder.attempts == []


def test_broken_mamba_ssm_falls_back_quietly(tmp_path, monkeypatch, fresh_kernel_cache):
    # A mamba-ssm whose CUDA extension fails to load raises OSError, not ImportError.
    (tmp_path / "mamba_ssm").mkdir()
    (tmp_path / "mamba_ssm" / "__init__.py").write_text("raise OSError('libcudart.so.12: cannot open')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _mamba_cuda.load_selective_scan_fn() is None
    assert _mamba_cuda.cuda_forward(Mamba(**SMALL), torch.zeros(1, 3, 16)) is None


def stand_in_selective_scan_fn(
    u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False, return_last_state=False
):
    """mamba-ssm's selective_scan_fn contract (layouts [B, D, L] and [B, N, L], bias and softplus applied
    inside), computed like its selective_scan_ref."""
    for name, t in (("u", u), ("delta", delta), ("B", B), ("C", C), ("z", z)):
        assert t.stride(-1) == 1, f"{name} must be contiguous in time, as the CUDA kernel requires"
    assert u.shape == delta.shape == z.shape and B.shape == C.shape == (u.shape[0], A.shape[1], u.shape[2])
    delta = delta + delta_bias[:, None]
    if delta_softplus:
        delta = F.softplus(delta)
    h, ys = u.new_zeros(u.shape[0], A.shape[0], A.shape[1]), []
    for t in range(u.shape[2]):
        h = (
            torch.exp(delta[:, :, t, None] * A) * h
            + (delta[:, :, t] * u[:, :, t])[..., None] * B[:, None, :, t]
        )
        ys.append(torch.einsum("bdn,bn->bd", h, C[:, :, t]))
    out = (torch.stack(ys, -1) + u * D[:, None]) * F.silu(z)
    return (out, h) if return_last_state else out


def test_kernel_path_plumbing_matches_the_pytorch_path(monkeypatch, fresh_kernel_cache):
    # Stand in for mamba_ssm's modules so that _mamba_cuda's argument layout, conv cache and bias handling are
    # checked here on CPU; the real kernel is compared on a GPU by the test below.
    for name in ("mamba_ssm", "mamba_ssm.ops"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    interface = types.ModuleType("mamba_ssm.ops.selective_scan_interface")
    interface.selective_scan_fn = stand_in_selective_scan_fn  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mamba_ssm.ops.selective_scan_interface", interface)
    m = make(dtype=torch.float32)
    for length in (2, 9):  # shorter and longer than d_conv
        x = randn(3, length, 16, dtype=torch.float32)
        y_kernel, state_kernel = _mamba_cuda.cuda_forward(m, x)
        y_torch, state_torch = m(x)
        torch.testing.assert_close(y_kernel, y_torch, **FP32_TOLERANCE)
        for got, want in zip(state_kernel, state_torch, strict=True):
            assert got.shape == want.shape
            torch.testing.assert_close(got.float(), want, **FP32_TOLERANCE)


def _mamba_ssm_cuda_or_skip():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU: mamba-ssm's kernels are CUDA-only")
    try:
        from mamba_ssm import Mamba as MambaSSM
    except Exception as exc:  # noqa: BLE001 - any import failure means the optional extra is not usable
        pytest.skip(f"needs mamba-ssm (pip install 'botarena[cuda]'): {exc!r}")
    return MambaSSM


def test_mamba_ssm_kernels_match_the_pytorch_scan_on_the_same_weights():
    MambaSSM = _mamba_ssm_cuda_or_skip()
    torch.manual_seed(0)
    reference = MambaSSM(**SMALL, use_fast_path=False).cuda()  # fast path also needs causal-conv1d
    assert {k: tuple(v.shape) for k, v in reference.state_dict().items()} == MAMBA_SSM_PARAMETER_SHAPES
    ours = Mamba(**SMALL).cuda()
    ours.load_state_dict(reference.state_dict())
    reference.load_state_dict(ours.state_dict())  # and back
    x = torch.randn(3, 37, 16, device="cuda")
    with torch.no_grad():
        y_reference = reference(x)
        y_kernel, state_kernel = ours(x)
        assert ours.last_backend == "cuda"
        ours.use_cuda_kernels = False
        y_torch, state_torch = ours(x)
        assert ours.last_backend == "torch-parallel"
    torch.testing.assert_close(y_kernel, y_reference, **FP32_TOLERANCE)
    torch.testing.assert_close(y_torch, y_reference, **FP32_TOLERANCE)
    for got, want in zip(state_kernel, state_torch, strict=True):
        torch.testing.assert_close(got.float(), want.float(), **FP32_TOLERANCE)
    # One step of mamba-ssm's recurrent path from our state equals ours.
    conv, ssm = (s.clone() for s in state_torch)
    x_t = torch.randn(3, 16, device="cuda")
    with torch.no_grad():
        y_step_reference, conv, ssm = reference.step(x_t[:, None], conv, ssm)
        y_step, (conv_ours, ssm_ours) = ours.step(x_t, state_torch)
    torch.testing.assert_close(y_step, y_step_reference[:, 0], **FP32_TOLERANCE)
    torch.testing.assert_close(ssm_ours, ssm.float(), **FP32_TOLERANCE)
    # Gradients of the kernel path equal the PyTorch path's.
    grads = []
    for use_kernels in (True, False):
        ours.zero_grad()
        ours.use_cuda_kernels = use_kernels
        ours(x)[0].pow(2).mean().backward()
        grads.append({k: p.grad.clone() for k, p in ours.named_parameters()})
    for name in grads[0]:
        torch.testing.assert_close(grads[0][name], grads[1][name], **FP32_TOLERANCE, msg=name)
