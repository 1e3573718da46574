"""Cost of the Territory policies (``attention``, ``flatten``, ``gridnet``) on one CPU thread.

Prints (never asserts), for each architecture on the 64x64 5-player map (the comparison's setting) and the
standard 128x128 map:

* parameters (the whole MaskablePPO policy: extractor, heads, value);
* forward ms at batch 1 and batch 64 (median of repeats, greedy action through the masked distribution, as the
  leaderboard and the evaluation call it);
* one PPO update step at batch 64 (forward, backward, Adam), ms, and the samples/s per core that four epochs
  of it allow (an upper bound on training speed: rollouts cost more on top).

The gridnet plays cell mode (``MultiDiscrete([H*W + 1, 5])``), the others direction mode (``Discrete(45)``).
Weights are untrained: the cost does not depend on their values.

    python benchmarks/bench_territory_policy.py            # ~1 minute
    python benchmarks/bench_territory_policy.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from harness import pin_one_core

ARCHS = ("attention", "flatten", "gridnet")
SETTINGS = {"64x64, 5 players": {"map_size": 64, "num_players": 5}, "128x128 (standard)": {"preset": "standard"}}


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return float(np.median(out) * 1e3)


def measure(arch: str, env_kwargs: dict, repeats: int) -> dict[str, float]:
    from botarena.agents.territory.policy import (
        ACTION_MODES,
        build_policy,
        greedy_actions,
        observation_and_action_spaces,
    )

    obs_space, act_space = observation_and_action_spaces({**env_kwargs, "action_mode": ACTION_MODES[arch]})
    torch.manual_seed(0)
    policy = build_policy(arch, obs_space, act_space)
    policy.set_training_mode(False)
    obs_space.seed(0)

    def batch(n: int) -> dict[str, np.ndarray]:
        rows = [obs_space.sample() for _ in range(n)]
        out = {k: np.stack([r[k] for r in rows]) for k in obs_space.spaces}
        out["action_mask"][:] = 1  # every action valid: the most work the masking can do
        return out

    one, many = batch(1), batch(64)
    forward_1 = median_ms(lambda: greedy_actions(policy, one), repeats)
    forward_64 = median_ms(lambda: greedy_actions(policy, many), max(3, repeats // 4))

    tensors = {k: torch.as_tensor(v) for k, v in many.items() if k != "action_mask"}
    masks = many["action_mask"].astype(bool)
    actions = torch.as_tensor(greedy_actions(policy, many))
    policy.set_training_mode(True)

    def update() -> None:
        values, log_prob, entropy = policy.evaluate_actions(tensors, actions, action_masks=masks)
        loss = -log_prob.mean() + values.pow(2).mean() - 0.001 * entropy.mean()
        policy.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        policy.optimizer.step()

    update_64 = median_ms(update, max(3, repeats // 4))
    return {"params": sum(p.numel() for p in policy.parameters()), "forward_1": forward_1,
            "forward_64": forward_64, "update_64": update_64, "update_sps": 64 / (4 * update_64 / 1e3)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="few repeats, the 64x64 map only")
    a = p.parse_args()
    where = pin_one_core()
    torch.set_num_threads(1)
    repeats = 3 if a.quick else 20
    print(f"Territory policies, one thread ({where}), untrained weights")
    for label, env_kwargs in SETTINGS.items():
        if a.quick and label != next(iter(SETTINGS)):
            continue
        print(f"\n{label}")
        print(f"  {'arch':<10} {'params':>10} {'fwd b1 ms':>10} {'fwd b64 ms':>11} {'update b64 ms':>14} "
              f"{'4-epoch samples/s':>18}")
        for arch in ARCHS:
            m = measure(arch, env_kwargs, repeats)
            print(f"  {arch:<10} {m['params']:>10,} {m['forward_1']:>10.1f} {m['forward_64']:>11.1f} "
                  f"{m['update_64']:>14.1f} {m['update_sps']:>18.0f}")


if __name__ == "__main__":
    main()
