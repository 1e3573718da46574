"""The PyTorch scans against plain Python loops: values and gradients, every length, both algorithms."""

from __future__ import annotations

import pytest
import torch

from botarena.agents.nn.scan import linear_scan, selective_scan

ALGORITHMS = ("sequential", "parallel")


def loop_linear_scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    hs, h = [], h0
    for t in range(a.shape[0]):
        h = a[t] * h + b[t]
        hs.append(h)
    return torch.stack(hs)


def loop_selective_scan(u, delta, A, B, C, h0):
    """Gu & Dao 2023, Algorithm 2, one step at a time (the shape of mamba-ssm's selective_scan_ref)."""
    h, ys = h0, []
    for t in range(u.shape[1]):
        h = torch.exp(delta[:, t, :, None] * A) * h + (delta[:, t] * u[:, t])[..., None] * B[:, t, None, :]
        ys.append((h * C[:, t, None, :]).sum(-1))
    return torch.stack(ys, 1), h


def grads(outputs, inputs, weights):
    loss = sum((o * w).sum() for o, w in zip(outputs, weights, strict=True))
    got = torch.autograd.grad(loss, inputs, retain_graph=True, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for x, g in zip(inputs, got, strict=True)]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_linear_scan_matches_a_loop_for_every_length_up_to_70(algorithm):
    # Blelloch's index arithmetic differs for odd, even and power-of-two lengths: try them all.
    gen = torch.Generator().manual_seed(0)
    for length in [*range(1, 34), 63, 64, 65, 70]:
        a = torch.rand(length, 2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
        b = torch.randn(length, 2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
        h0 = torch.randn(2, 3, generator=gen, dtype=torch.float64, requires_grad=True)
        h = linear_scan(a, b, h0, algorithm)
        expected = loop_linear_scan(a, b, h0)
        torch.testing.assert_close(h, expected, rtol=0, atol=1e-12, msg=f"L={length}")
        weight = torch.randn(h.shape, generator=gen, dtype=torch.float64)
        for got, want in zip(
            grads([h], [a, b, h0], [weight]), grads([expected], [a, b, h0], [weight]), strict=True
        ):
            torch.testing.assert_close(got, want, rtol=0, atol=1e-11, msg=f"gradient, L={length}")


def test_linear_scan_rejects_bad_arguments():
    a = torch.rand(4, 3)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        linear_scan(a, a, algorithm="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same shape"):
        linear_scan(a, a[:, :2])
    with pytest.raises(ValueError, match=r"h0 must have shape \(3,\)"):
        linear_scan(a, a, torch.zeros(2))


def random_ssm(batch=2, length=9, d_inner=5, d_state=3, seed=0):
    gen = torch.Generator().manual_seed(seed)

    def leaf(*shape, scale=1.0, positive=False):
        t = torch.rand(*shape, generator=gen) if positive else torch.randn(*shape, generator=gen)
        return (t.double() * scale).requires_grad_()

    u = leaf(batch, length, d_inner)
    delta = leaf(batch, length, d_inner, positive=True)
    A = (-2 * torch.rand(d_inner, d_state, generator=gen).double()).requires_grad_()
    B, C = leaf(batch, length, d_state), leaf(batch, length, d_state)
    h0 = leaf(batch, d_inner, d_state)
    return u, delta, A, B, C, h0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
# None: one chunk; 1 byte: one step per chunk; the others split 9 steps unevenly (chunks of 2 and of 5).
@pytest.mark.parametrize("chunk_bytes", [None, 1, 2 * 2 * 5 * 3 * 8, 5 * 2 * 5 * 3 * 8])
def test_selective_scan_matches_algorithm_2_with_gradients(algorithm, chunk_bytes):
    inputs = random_ssm()
    y, h_last = selective_scan(*inputs, algorithm=algorithm, chunk_bytes=chunk_bytes)
    y_ref, h_ref = loop_selective_scan(*inputs)
    torch.testing.assert_close(y, y_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_last, h_ref, rtol=0, atol=1e-12)
    gen = torch.Generator().manual_seed(1)
    weights = [torch.randn(t.shape, generator=gen, dtype=torch.float64) for t in (y, h_last)]
    names = ["u", "delta", "A", "B", "C", "h0"]
    # Both outputs used, then each alone: the backward must cope with a missing output gradient.
    for used in ([0, 1], [0], [1]):
        got = grads([(y, h_last)[i] for i in used], inputs, [weights[i] for i in used])
        want = grads([(y_ref, h_ref)[i] for i in used], inputs, [weights[i] for i in used])
        for name, g, w in zip(names, got, want, strict=True):
            torch.testing.assert_close(g, w, rtol=0, atol=1e-10, msg=f"d/d{name} with outputs {used}")


def test_selective_scan_stays_finite_when_decays_underflow():
    # delta * A = -800 per step: exp(-cumsum) tricks overflow here, products of decays just reach zero.
    u, delta, A, B, C, h0 = (t.detach() for t in random_ssm())
    delta = torch.full_like(delta, 50.0).requires_grad_()
    A = torch.full_like(A, -16.0).requires_grad_()
    y, h = selective_scan(u, delta, A, B, C, h0, chunk_bytes=2 * 2 * 5 * 3 * 8)
    y_ref, _ = loop_selective_scan(u, delta, A, B, C, h0)
    torch.testing.assert_close(y, y_ref)
    (y.sum() + h.sum()).backward()
    assert torch.isfinite(delta.grad).all() and torch.isfinite(A.grad).all()


def test_selective_scan_keeps_float32_accumulation_for_half_inputs():
    u, delta, A, B, C, h0 = (t.detach() for t in random_ssm())
    y, h = selective_scan(u.bfloat16(), delta.bfloat16(), A.float(), B.bfloat16(), C.bfloat16(), h0.float())
    assert y.dtype == torch.bfloat16 and h.dtype == torch.float32
    y_ref, _ = loop_selective_scan(u, delta, A, B, C, h0)
    torch.testing.assert_close(y.double(), y_ref, rtol=0.05, atol=0.05)
