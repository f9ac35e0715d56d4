# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scaling laws for optimal data mixtures
#
# **Paper.** Shukor, Bethune, Busbridge, Grangier, Fini, El-Nouby & Ablin (2025), *Scaling Laws for
# Optimal Data Mixtures*, [arXiv:2507.09404](https://arxiv.org/abs/2507.09404). Data: the
# SlimPajama 7-domain LLM runs (2452 runs, 61 mixtures, 122M-2.7B parameters) as published in
# [meiqwq/Explaining-Data-Mixing-Scaling-Laws](https://github.com/meiqwq/Explaining-Data-Mixing-Scaling-Laws)
# @ `c2bf110`. Secondary: RegMix (Liu et al. 2024, [arXiv:2407.01492](https://arxiv.org/abs/2407.01492)),
# runs from [sail-sg/regmix](https://github.com/sail-sg/regmix) @ `b004d3a` (MIT).
#
# **Claim tested.** The loss of a model of size $N$ trained on $D$ tokens with domain weights $h$
# follows a scaling law that can be fitted on small runs and extrapolated to larger models and
# unseen mixtures:
#
# * additive law (eq. 2): $L = E + A/N^{\alpha} + B/D^{\beta} + 1/\sum_j C_j h_j^{\gamma_j}$ ($2k+5$ parameters);
# * joint law (eq. 3): $L = E + (\sum_j a_j h_j)^{p_A}/N^{\alpha} + (\sum_j b_j h_j)^{p_B}/D^{\beta} + 1/\sum_j C_j h_j^{\gamma_j}$ ($4k+5$).
#
# Minimising the fitted law over the simplex gives the optimal mixture $h^\star$ for a budget
# $(N, D)$. RegMix's companion claim: a regression fitted on 512 runs of 1M-parameter models ranks
# mixtures of 1B-parameter models almost perfectly (Spearman ρ ≈ 0.97).
#
# **Protocol here.** One law per domain (the loss it predicts), fitted with the shared multi-start fitter (Huber
# on $\log L$, δ below, L-BFGS-B) on runs with $N < 1$B, with 20 % of the mixtures held out of
# every fit. Evaluation: mean relative error (MRE, %) on the held-out mixtures at fitted sizes
# and on the 1.2B and 2.7B runs, never fitted. Uncertainty: bootstrap over fitted runs.
# `quick` mode (default): additive law on two domains, few bootstrap refits; `full` mode: both laws
# on all seven domains, the fixed-(N, D) baselines (Ye et al.'s data-mixing law, linear and
# LightGBM regressions) and more refits.

# %% tags=["parameters"]
mode = "quick"
seed = 0
huber_delta = 1e-3
max_fit_params = 1e9
holdout_frac = 0.2
domains = None  # domains whose loss is fitted; None: c4,github (quick), all seven (full)
laws = None  # mixture laws fitted; None: additive (quick), additive,joint (full)
n_starts = None  # random starts of the additive law; None: 12 quick, 16 full
n_bootstrap = None  # bootstrap refits of every fit; None: 10 quick, 40 full
regmix_bootstrap = 1000

# %%
import time

import numpy as np
import pandas as pd
from IPython.display import display

from scalingkit import data
from scalingkit import reporting as report
from scalingkit.plots import set_style
from scalingkit.workbooks import data_mixtures as mx
from scalingkit.workbooks.data_mixtures import figures as figs

set_style(dpi=80)
params = report.start("data_mixtures", mode_defaults=mx.MODE_DEFAULTS)
FULL = params.mode == "full"
DOMAINS = mx.names_from_text(params.domains, mx.DOMAINS, "domains")
LAWS = mx.names_from_text(params.laws, mx.LAWS, "laws")
t_start = time.perf_counter()

# %% [markdown]
# ## Load and split
#
# `scalingkit.data` verifies the file's sha256. Some domain losses are missing upstream; a run
# missing one domain's loss is dropped only from that domain's fit (counts below). Mixtures are
# identified by their weight vector; a seeded 20 % of them is held out of every fit.

# %%
# NBVAL_CHECK_OUTPUT
df = data.load_slimpajama_mixtures()
runs = mx.split_runs(
    df, max_fit_params=params.max_fit_params, holdout_frac=params.holdout_frac, seed=params.seed
)
report.record("data.n_runs", len(runs), description="SlimPajama runs in the file")
report.record("data.n_mixtures", int(runs["mixture"].nunique()), description="distinct mixtures")
print(f"{len(runs)} runs, {runs['mixture'].nunique()} mixtures")
print(runs["split"].value_counts().sort_index().to_string())
print("missing losses:", df.attrs["missing_losses"])

# %%
fig = figs.loss_vs_weight(runs, weight_domain="c4", loss_domain="c4")

# %% [markdown]
# ## Fit the laws
#
# Additive law: random starts in the fitted parametrisation (log-coefficients, exponents),
# batched. Joint law: warm-started at the exact embedding of the additive optimum plus jittered
# copies. Bootstrap refits resample the fitted runs and start at the best fit.

# %%
t0 = time.perf_counter()
fits = mx.fit_mixture_laws(
    runs,
    DOMAINS,
    laws=LAWS,
    n_starts=params.n_starts,
    n_joint_starts=8,
    n_bootstrap=params.n_bootstrap,
    huber_delta=params.huber_delta,
    seed=params.seed,
)
fit_seconds = time.perf_counter() - t0
display(mx.fit_summary(fits))
print(f"fits: {fit_seconds:.1f} s")

# %%
# NBVAL_CHECK_OUTPUT
for (d, law), f in fits.items():
    report.record(
        f"fit.{d}.{law}.converged",
        bool(f.result.converged),
        description=f"{law} law on {d}: best start converged",
    )
    report.record(
        f"fit.{d}.{law}.n_dropped",
        f.n_dropped,
        description=f"runs without {d}_loss dropped from this fit",
    )
    print(f"{d:14s} {law:9s} n={f.n_fit} dropped={f.n_dropped} converged={f.result.converged}")

# %%
# NBVAL_CHECK_OUTPUT
add_c4 = fits[(DOMAINS[0], "additive")].result
print(
    f"additive law on {DOMAINS[0]}: "
    + ", ".join(f"{k}={add_c4.params[k]:.2f}" for k in ("E", "alpha", "beta"))
)
print(add_c4.to_frame().loc[["E", "alpha", "beta"]].round(2).to_string())

# %% [markdown]
# ## Compare: mean relative error
#
# MRE per domain, law and evaluation set. `heldout`: mixtures never fitted, at fitted sizes;
# `N=1.2B`, `N=2.7B`: sizes never fitted. Intervals: 2.5-97.5 % of the MRE over bootstrap refits.

# %%
pred = mx.predictions(runs, fits)
ev = mx.evaluate(pred)
mre_table = mx.mre_table(ev)
display(mre_table.round(3))

# %%
# NBVAL_CHECK_OUTPUT
for e in mx.mre_estimates(runs, fits, mre_table):
    report.record(
        f"{mx.SPLIT_KEYS[e.split]}.{e.domain}.{e.law}.mre_pct",
        e.mre_pct,
        uncertainty=e.se,
        ci=e.ci,
        description=f"MRE (%) of the {e.law} law on {e.domain}, {e.split}",
    )
for d, law in fits:
    print(
        f"{d:14s} {law:9s} heldout {mre_table.loc[(d, law), 'heldout']:.2f}%  2.7B {mre_table.loc[(d, law), 'N=2.7B']:.2f}%"
    )
if FULL:
    for law in LAWS:
        m = float(mre_table.xs(law, level="law")["N=2.7B"].mean())
        report.record(
            f"extrapolation.mean.{law}.mre_pct",
            m,
            description=f"MRE (%) at 2.7B, mean over the {len(DOMAINS)} domains, {law} law",
        )
        print(f"mean over domains, {law}: {m:.2f}%")

# %% [markdown]
# ### Baselines at fixed (N, D) (full mode)
#
# Fitted per (N, D) on the same fit mixtures and evaluated on the same held-out mixtures; they
# cannot extrapolate in N or D. Ye et al.'s data-mixing law uses the same Huber fitter.

# %%
if FULL:
    t0 = time.perf_counter()
    base = mx.fit_baselines(runs, DOMAINS, seed=params.seed, huber_delta=params.huber_delta)
    base_seconds = time.perf_counter() - t0
    heat = mx.split_table(pd.concat([ev, mx.evaluate(base)]), "heldout")
    for d in DOMAINS:
        for m in ("data_mixing_law", "linear", "lightgbm"):
            report.record(
                f"heldout.{d}.{m}.mre_pct",
                float(heat.loc[d, m]),
                description=f"MRE (%) of the {m} baseline on {d}, held-out mixtures",
            )
    print(f"baselines: {base_seconds:.1f} s")
else:
    heat = mx.split_table(ev, "heldout")
fig = figs.mre_heatmap(heat, title="MRE (%) on held-out mixtures at fitted sizes")

# %%
ext = mx.split_table(ev, "N=2.7B")
fig = figs.mre_heatmap(ext, title="MRE (%) at N = 2.7B (never fitted)")
fig = figs.predicted_vs_observed(pred, "N=2.7B")

# %% [markdown]
# ## Optimal mixture
#
# $h^\star$ minimises the mean predicted loss over the domains fitted (SLSQP on the simplex,
# analytic gradient), at each model size with that size's largest token budget; intervals from
# the bootstrap refits. Under the additive law the mixture term does not depend on $(N, D)$, so
# $h^\star$ is the same at every scale; under the joint law it moves.

# %%
scales = mx.largest_budgets(runs)
t0 = time.perf_counter()
hstar = pd.concat(
    [
        mx.optimal_mixture_table(fits, law, DOMAINS, scales, n_starts=8, seed=params.seed)
        for law in LAWS
    ],
    ignore_index=True,
)
hstar_seconds = time.perf_counter() - t0
display(hstar.pivot_table(index=["law", "domain"], columns="params", values="h").round(3))
fig = figs.optimal_mixture_bars(hstar)

# %%
# NBVAL_CHECK_OUTPUT
big = hstar[hstar["params"] == max(hstar["params"])]
for law in LAWS:
    sub = big[big["law"] == law]
    report.record(
        f"hstar.{law}.converged",
        bool(sub["converged"].all()),
        description="SLSQP converged at the 2.7B budget",
    )
    for r in sub.itertuples():
        ci = (r.ci_low, r.ci_high) if np.isfinite(r.ci_low) else None
        report.record(
            f"hstar.{law}.{r.domain}",
            float(r.h),
            ci=ci,
            description=f"optimal weight of {r.domain} ({law} law, mean loss over {len(DOMAINS)} domains, N=2.7B)",
        )
    print(
        law,
        " ".join(f"{r.domain}={r.h:.2f}[{r.ci_low:.2f},{r.ci_high:.2f}]" for r in sub.itertuples()),
    )

# %%
cmp = mx.compare_optimum(runs, fits, hstar, DOMAINS)
display(cmp.round(4))

# %%
# NBVAL_CHECK_OUTPUT
for r in cmp[cmp["params"] == max(cmp["params"])].itertuples():
    report.record(
        f"hstar.{r.law}.predicted_loss_2p7b",
        r.predicted_at_hstar,
        description="predicted loss at h*, mean over the domains fitted, N=2.7B",
    )
    report.record(
        f"hstar.{r.law}.best_observed_loss_2p7b",
        r.best_observed,
        description=f"best observed mean loss over the domains among {r.n_mixtures} mixtures at N=2.7B",
    )
    print(
        f"{r.law}: predicted at h* {r.predicted_at_hstar:.3f} vs best observed {r.best_observed:.3f} ({r.n_mixtures} mixtures)"
    )

# %% [markdown]
# ## RegMix: ranking 1B mixtures from 1M-parameter runs
#
# Regressions of Pile-CC validation loss on the 17 domain weights, fitted on the 512
# 1M-parameter runs, predict held-out mixtures at 1M, 60M and 1B. Spearman ρ (×100, as RegMix
# reports it) with 95 % bootstrap intervals over the test mixtures.

# %%
# NBVAL_CHECK_OUTPUT
train = data.load_regmix("train", "1m")
tests = {s: data.load_regmix("test", s) for s in ("1m", "60m", "1B")}
rho = mx.regmix_spearman(train, tests, n_bootstrap=params.regmix_bootstrap, seed=params.seed)
for r in rho.itertuples():
    report.record(
        f"regmix.spearman.{r.model}.{r.scale.lower()}",
        float(r.rho_pct),
        ci=(r.ci_low, r.ci_high),
        description=f"Spearman rho x100, {r.model} on {r.n} test mixtures at {r.scale}",
    )
    print(
        f"{r.model:8s} {r.scale:3s} n={r.n:3d} rho={r.rho_pct:.1f} [{r.ci_low:.1f}, {r.ci_high:.1f}]"
    )

# %% [markdown]
# ## Verdict

# %%
print(f"total: {time.perf_counter() - t_start:.1f} s")
report.verdict()

# %%
report.save()

# %%
report.provenance()
