"""The JAX contender of ``bench_chinchilla.py``: scalingkit's batched BFGS ported to JAX.

The same algorithm as :func:`scalingkit.fit.minimize_multistart` for one start (dense BFGS
inverse Hessian scaled on the first update, the weak-Wolfe line search with the same trial
rules and constants, scipy's stopping rules), written with ``lax.while_loop`` and vmapped
over the starts, jit-compiled, float64, gradients by ``jax.value_and_grad``. As is natural in
JAX the batch is not compacted: every start runs until the last one stops (masked).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import logsumexp

jax.config.update("jax_enable_x64", True)

C1, C2, MAXLS = 1e-4, 0.9, 30


def make_solver(lN, lD, logy, delta: float, method: str, gtol: float, ftol: float, maxiter: int):
    """A jitted ``solve(x0 (S, 5), w (S, n)) -> (x, f, converged)``."""

    def obj(p, w):
        u = jnp.stack([p[0] - p[3] * lN, p[1] - p[4] * lD, jnp.full_like(lN, p[2])])
        r = logy - logsumexp(u, axis=0)
        a = jnp.abs(r)
        return jnp.sum(w * jnp.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta)))

    vg = jax.value_and_grad(obj)
    eye = jnp.eye(5)

    def line_search(x, f, g, d, gd, t0, w):
        def cond(s):
            return (s["k"] < MAXLS) & ~s["acc"]

        def body(s):
            t = s["t"]
            xt = x + t * d
            ft, gt = vg(xt, w)
            fin = jnp.isfinite(ft) & jnp.all(jnp.isfinite(gt))
            arm = fin & (ft <= f + C1 * t * gd)
            curv = gt @ d >= C2 * gd
            acc = arm & curv
            better = arm & (~s["have"] | (ft < s["f"]))
            keep = acc | better
            tq = -gd * t * t / (2.0 * (ft - f - gd * t))
            tq = jnp.where(jnp.isfinite(tq), tq, 0.1 * t)
            tq = jnp.clip(tq, 0.1 * t, 0.5 * t)
            hi = jnp.where(~arm, t, s["hi"])
            lo = jnp.where(arm & ~curv, t, s["lo"])
            t_fail = jnp.where(lo > 0, 0.5 * (lo + hi), tq)
            t_ext = jnp.where(jnp.isinf(hi), 4.0 * t, 0.5 * (lo + hi))
            return {
                "t": jnp.where(~arm, t_fail, t_ext), "lo": lo, "hi": hi, "k": s["k"] + 1,
                "acc": acc, "have": s["have"] | arm,
                "x": jnp.where(keep, xt, s["x"]), "f": jnp.where(keep, ft, s["f"]),
                "g": jnp.where(keep, gt, s["g"]),
            }  # fmt: skip

        s0 = {"t": t0, "lo": 0.0, "hi": jnp.inf, "k": 0, "acc": False, "have": False,
              "x": x, "f": jnp.inf, "g": g}  # fmt: skip
        s = lax.while_loop(cond, body, s0)
        return s["have"], s["x"], s["f"], s["g"]

    def bfgs(H, s, y, fresh):
        sy, yy = s @ y, y @ y
        H = jnp.where(fresh & (sy > 0) & (yy > 0), (sy / yy) * eye, H)
        upd = sy > 1e-10 * jnp.sqrt((s @ s) * yy)
        rho = 1.0 / jnp.where(upd, sy, 1.0)
        Hy = H @ y
        Hn = (
            H
            - rho * (jnp.outer(Hy, s) + jnp.outer(s, Hy))
            + (rho * rho * (y @ Hy) + rho) * jnp.outer(s, s)
        )
        return jnp.where(upd, Hn, H)

    def solve_one(x0, w):
        f0, g0 = vg(x0, w)
        ok0 = jnp.isfinite(f0) & jnp.all(jnp.isfinite(g0))
        st = {"x": x0, "f": f0, "g": g0, "H": eye, "fresh": True, "it": 0,
              "done": ~ok0 | (jnp.max(jnp.abs(g0)) <= gtol), "conv": ok0 & (jnp.max(jnp.abs(g0)) <= gtol)}  # fmt: skip

        def cond(s):
            return ~s["done"]

        def body(s):
            x, f, g, H, fresh = s["x"], s["f"], s["g"], s["H"], s["fresh"]
            d = -H @ g
            gd = g @ d
            nd = ~(gd < 0)
            H = jnp.where(nd, eye, H)
            fresh = fresh | nd
            d = jnp.where(nd, -g, d)
            gd = jnp.where(nd, -(g @ g), gd)
            t0 = jnp.where(
                fresh, jnp.minimum(1.0, 1.0 / jnp.maximum(jnp.linalg.norm(d), 1e-300)), 1.0
            )
            acc, xn, fn, gn = line_search(x, f, g, d, gd, t0, w)
            Hn = bfgs(H, xn - x, gn - g, fresh)
            it = s["it"] + acc
            pg = jnp.max(jnp.abs(gn))
            if method == "L-BFGS-B":
                rel = (f - fn) / jnp.maximum(jnp.maximum(jnp.abs(f), jnp.abs(fn)), 1.0)
                conv = acc & ((pg <= gtol) | (rel <= ftol))
            else:
                conv = acc & (pg <= gtol)
            failed = ~acc & fresh
            return {
                "x": jnp.where(acc, xn, x), "f": jnp.where(acc, fn, f), "g": jnp.where(acc, gn, g),
                "H": jnp.where(acc, Hn, eye), "fresh": ~acc, "it": it,
                "done": conv | failed | (it >= maxiter), "conv": conv,
            }  # fmt: skip

        s = lax.while_loop(cond, body, st)
        return s["x"], s["f"], s["conv"]

    return jax.jit(jax.vmap(solve_one))
