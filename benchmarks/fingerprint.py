"""Bit-for-bit guard for refactors: hashes of whole trajectories, observations, frames, expert labels and
PettingZoo runs of every game (about a minute with warm kernels; not a benchmark, `botarena bench` skips it).

    python benchmarks/fingerprint.py | diff - benchmarks/fingerprint_bd664a8.json

The JSON was made at bd664a8, before the games were split into observe/mapgen/phase helpers and shared
common/ modules; an empty diff means no game changed. Territory is checked as v1 (its id and, for the PettingZoo
run, ``rules=1, reward="shaped"``), the game the JSON recorded; v2 came later and has no reference here.
"""
import hashlib
import json
import sys

import gymnasium as gym
import numpy as np

import botarena.envs  # noqa: F401


def h_update(h, x):
    if isinstance(x, dict):
        for k in sorted(x):
            h.update(k.encode())
            h_update(h, x[k])
    elif isinstance(x, (list, tuple)):
        for v in x:
            h_update(h, v)
    else:
        a = np.asarray(x)
        if a.dtype == object:
            h.update(repr(a.tolist()).encode())
        else:
            h.update(str(a.dtype).encode())
            h.update(np.ascontiguousarray(a).tobytes())


def info_part(info):
    return {k: v for k, v in info.items() if not k.startswith("final_obs") and not k.startswith("_final_obs")}


def vec_run(env_id, steps, n=4, seed=3, **kw):
    envs = gym.make_vec(env_id, num_envs=n, **kw)
    envs.action_space.seed(seed)
    h = hashlib.sha256()
    obs, info = envs.reset(seed=seed)
    h_update(h, obs)
    for _ in range(steps):
        a = envs.action_space.sample()
        if kw.get("action_mode") == "direction":
            m = obs["action_mask"]
            rng = np.random.default_rng(len(a) if not isinstance(a, dict) else 0)
            a = np.array([rng.choice(np.flatnonzero(row)) for row in m.reshape(n, -1)]) if m.ndim == 2 else a
        obs, r, te, tr, info = envs.step(a)
        for part in (obs, r, te, tr):
            h_update(h, part)
        fo = info.get("final_obs")
        if fo is not None:
            for o in fo:
                if o is not None:
                    h_update(h, o)
    out = {"traj": h.hexdigest()}
    if hasattr(envs, "expert_labels"):
        labels = {k: np.asarray(v).tolist() for k, v in envs.expert_labels().items()}
        out["labels"] = hashlib.sha256(repr(labels).encode()).hexdigest()
    envs.close()
    return out


def single_frames(env_id, steps, seed=5, **kw):
    env = gym.make(env_id, render_mode="rgb_array", **kw)
    env.action_space.seed(seed)
    env.reset(seed=seed)
    h = hashlib.sha256()
    for t in range(steps):
        obs, r, te, tr, info = env.step(env.action_space.sample())
        if t % 7 == 0:
            h_update(h, env.render())
        if te or tr:
            env.reset()
    env.close()
    return h.hexdigest()


def pz_run(module, steps, seed=2, **kw):
    import importlib
    mod = importlib.import_module(module)
    env = mod.parallel_env(**kw)
    obs, infos = env.reset(seed=seed)
    h = hashlib.sha256()
    h_update(h, [obs[a] for a in sorted(obs)])
    for a in env.possible_agents:
        env.action_space(a).seed(seed)
    for _ in range(steps):
        if not env.agents:
            break
        acts = {a: env.action_space(a).sample() for a in env.agents}
        obs, rew, te, tr, infos = env.step(acts)
        for a in sorted(obs):
            for part in (obs[a], rew[a], te[a], tr[a]):
                h_update(h, part)
    return h.hexdigest()


res = {}
res["territory_dir"] = vec_run("botarena/Territory-v1", 400, action_mode="direction")
res["territory_cell"] = vec_run("botarena/Territory-v1", 200, action_mode="cell", preset="duel")
res["territory_frames"] = single_frames("botarena/Territory-v1", 60)
res["territory_pz"] = pz_run("botarena.envs.territory.multiagent", 200, rules=1, reward="shaped")
res["click"] = vec_run("botarena/ClickArena-v0", 3000)
res["click_pixels"] = vec_run("botarena/ClickArena-v0", 300, obs_mode="pixels")
res["click_frames"] = single_frames("botarena/ClickArena-v0", 300)
res["click_pz"] = pz_run("botarena.envs.click_arena.multiagent", 600, num_players=3)
res["tick"] = vec_run("botarena/TickDuel-v0", 600)
res["tick_frames"] = single_frames("botarena/TickDuel-v0", 120)
res["tick_pz"] = pz_run("botarena.envs.tick_duel.multiagent", 300)
json.dump(res, sys.stdout, indent=1, default=str)
print()
