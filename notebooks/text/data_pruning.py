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
# # Beyond neural scaling laws: beating power-law scaling with data pruning
#
# **Paper.** Sorscher, Geirhos, Shekhar, Ganguli & Morcos (2022), *Beyond neural scaling laws:
# beating power law scaling via data pruning*, NeurIPS 2022,
# [arXiv:2206.14486](https://arxiv.org/abs/2206.14486). No public code exists for its theory: the
# replica equations, the exact max-margin simulation and the real-data protocol below are our own
# implementation (`scalingkit.workbooks.data_pruning`).
#
# **Claim tested.** In the teacher-student perceptron, pruning the training set with a margin
# metric changes the scaling of test error with data: keeping *easy* examples is best when data is
# scarce, keeping *hard* examples when data is plentiful, the crossover moves to larger data sets
# as the kept fraction f shrinks, and the Pareto envelope over f falls much faster than the
# unpruned power law. With an imperfect pruning metric (probe at angle θ to the teacher) the gain
# saturates and there is a minimum useful f. We check the theory against the classical anchors
# (f = 1: ε(1) ≈ 0.266, ε(5) ≈ 0.094, αε → 0.5) and against exact simulations, then run the same
# protocol on two small real data sets that ship offline.
#
# `mode = "quick"`: θ = 0 theory on a coarse grid, a small simulation (N = 150, 5 seeds), digits only (5 seeds).
# `mode = "full"`: θ ∈ {0°, 10°, 20°}, simulation at N = 200 with 10 seeds, digits and MNIST-1D (10 seeds each).
# Knobs: `sim_N` (perceptron dimension), `sim_seeds` (seeds per simulated point) and `real_seeds`
# (seeds per real-data setting); left at `None` they take the mode's default above, and a value
# set explicitly wins in either mode. `n_jobs` sets the joblib
# workers; results do not depend on it.

# %% tags=["parameters"]
mode = "quick"
seed = 0
n_jobs = 2
sim_N = None  # input dimension of the simulations; None: 150 quick, 200 full
sim_seeds = None  # seeds per simulated point; None: 5 quick, 10 full
real_seeds = None  # seeds per real-data setting; None: 5 quick, 10 full

# %%
import time

import numpy as np
import pandas as pd
from IPython.display import display

from scalingkit import reporting as report
from scalingkit.plots import set_style
from scalingkit.workbooks import data_pruning as pr
from scalingkit.workbooks.data_pruning import figures as figs

set_style(dpi=80)
pd.set_option("display.max_rows", 120)
params = report.start("data_pruning", mode_defaults=pr.MODE_DEFAULTS)
FULL = params.mode == "full"
design = pr.study_design(params.mode)
timings = {}

# %% [markdown]
# ## 1. Replica theory
#
# For every margin κ on a grid we maximise α_c(κ) = max over the student's overlaps of
# (1 − R² − P²) / E g(κ − yμ, σ) (derivation in the `scalingkit.workbooks.data_pruning.replica` docstring) by a global grid
# search plus zooming around the two best local maxima, so that keep-hard at small f lands on the
# global branch. Anchors first: the unpruned (f = 1) max-margin perceptron.

# %%
# NBVAL_CHECK_OUTPUT
anchor_theory = pr.ReplicaTheory(0.0, n_kappa=design.theory_kw["n_kappa"])
anchor = anchor_theory.solve(1.0, "none", alpha_range=design.anchor_alpha_range)
e1, e5, e100 = anchor.at(np.array([1.0, 5.0, 100.0])).eps
report.record("anchor.eps_alpha1", e1, description="ε at α = 1, f = 1 (replica theory)")
report.record("anchor.eps_alpha5", e5, description="ε at α = 5, f = 1 (replica theory)")
report.record("anchor.alpha_eps_large", 100 * e100, description="α·ε at α = 100, f = 1")
print(f"eps(1) = {e1:.3f}   eps(5) = {e5:.3f}   100*eps(100) = {100 * e100:.2f}")

# %%
t0 = time.perf_counter()
curves = pr.solve_all(
    list(design.thetas), list(design.fs), design.alpha_tot, n_jobs=params.n_jobs, **design.theory_kw
)
timings["theory"] = time.perf_counter() - t0
print(
    f"theory grid: {curves.groupby(['theta', 'f', 'strategy']).ngroups} curves in "
    f"{timings['theory']:.1f} s; all converged: {bool(curves.converged.all())}"
)
display(
    curves[curves.theta == 0]
    .pivot_table(index="alpha_tot", columns=["strategy", "f"], values="eps")
    .iloc[::4]
    .round(3)
)

# %% [markdown]
# ## 2. Simulation: exact max-margin students
#
# P = α_tot·N Gaussian inputs, labels from a random teacher, the probe keeps the fraction f with
# the smallest (hard) or largest (easy) |probe field|, and the student is the exact hard-margin
# perceptron without bias (Lawson–Hanson least-distance programming via NNLS; every run is checked
# for separability and the KKT conditions). A point *agrees* when |mean − theory| ≤ max(3 SE, 0.01);
# points where the theory curve drops by more than a factor e^0.4 within one cell of its margin grid
# (a jump, or a drop too steep to interpolate) are counted apart. In full mode extra points follow
# keep-hard f = 0.1 through its steep drop near α_tot ≈ 20. The simulated max margin κ is compared with the
# theory's κ in the same way: an independent check of the saddle point itself.

# %%
t0 = time.perf_counter()
simulation = pr.simulation_study(
    design, N=params.sim_N, n_seeds=params.sim_seeds, seed=params.seed, n_jobs=params.n_jobs
)
timings["simulation"] = time.perf_counter() - t0
sim, comparison = simulation.runs, simulation.comparison
print(
    f"{len(sim)} max-margin solves in {timings['simulation']:.1f} s; "
    f"max KKT gap {sim.kkt_gap.max():.1e}"
)

# %%
# NBVAL_CHECK_OUTPUT
away = comparison[~comparison.near_transition]
n_ok, n_all = int(away.agrees.sum()), len(away)
report.record(
    "sim.agreement_fraction",
    n_ok / n_all,
    description=f"{n_ok}/{n_all} simulated points within max(3 SE, 0.01) of theory "
    f"(N = {params.sim_N}, {params.sim_seeds} seeds; "
    f"{int(comparison.near_transition.sum())} near the jump)",
)
report.record(
    "sim.n_points", n_all, description="simulated (alpha_tot, f, strategy) points compared"
)
n_3se = int((away.abs_diff <= 3 * away.eps_se).sum())
n_kappa = int(away.kappa_agrees.sum())
print(
    f"agree: {n_ok}/{n_all} points away from the transition (within 3 SE alone: {n_3se}); "
    f"near the transition: {int(comparison.near_transition.sum())}"
)
print(f"max margin kappa within max(3 SE, 0.01) of theory: {n_kappa}/{n_all}")

# %%
display(
    comparison[
        [
            "theta",
            "f",
            "strategy",
            "alpha_tot",
            "eps_mean",
            "eps_se",
            "eps_theory",
            "abs_diff",
            "bound",
            "agrees",
            "near_transition",
            "kappa_mean",
            "kappa_theory",
            "kappa_agrees",
        ]
    ].round(4)
)
fig1 = figs.theory_vs_simulation(curves, comparison[comparison.theta == 0], x="alpha_tot")
fig2 = figs.theory_vs_simulation(curves, comparison[comparison.theta == 0], x="alpha_prune")

# %% [markdown]
# ## 3. The paper's claims, measured on the theory
#
# * **Easy vs hard**: who wins at the smallest and the largest α_tot, and where they cross.
# * **Envelope**: the lower envelope over f of the keep-hard curves (and f = 1) against
#   α_prune ∈ [0.5, 5]; power laws ε = A α^(−ν) fitted by OLS on log-log axes
#   (`scalingkit.fit.ols_loglog`) for the envelope and for f = 1 (the theory is deterministic, so the 95 % CIs measure curvature, i.e. how
#   far each curve is from a power law, not noise).
# * The crossover claim is evaluated on f ≤ 0.5: at θ = 0 and f = 0.8 the two strategies differ
#   by less than 0.001 over α_tot ≈ 4–11, so where they cross is ill-conditioned (the table shows
#   every f; at θ = 0 the f = 0.8 crossing, ≈ 9.7, breaks the monotone order).
# * **Imperfect probe** (full mode): the gain of the envelope over f = 1 at α_prune = 5, and the
#   smallest f the envelope ever uses.

# %%
claims, details = pr.evaluate_claims(curves, fit_range=design.fit_range, thetas=design.thetas)
cx = pd.concat(details["crossovers"].values(), ignore_index=True)
display(cx.round(3))
fits = details["fits"]
for th in design.thetas:
    f1fit, envfit = fits[th]["f1"], fits[th]["envelope"]
    print(
        f"theta = {th:>4g}: f = 1 exponent {f1fit.exponent:.2f} "
        f"[{f1fit.ci[0]:.2f}, {f1fit.ci[1]:.2f}]; envelope exponent {envfit.exponent:.2f} "
        f"[{envfit.ci[0]:.2f}, {envfit.ci[1]:.2f}]; gain at alpha_prune = 5: "
        f"{claims[f'theta{th:g}.gain_at_max']:.1f}x; smallest f used {claims[f'theta{th:g}.smallest_f_used']:g}"
    )

# %%
# NBVAL_CHECK_OUTPUT
f1fit, envfit = fits[0.0]["f1"], fits[0.0]["envelope"]
report.record(
    "claim.easy_small_hard_large",
    claims["theta0.easy_small_hard_large"],
    description="θ = 0, every f < 1: easy wins at α_tot = 0.5, hard at α_tot = 50",
)
report.record(
    "claim.crossover_grows_as_f_shrinks",
    claims["theta0.crossover_grows_as_f_shrinks"],
    description="θ = 0: crossover α_tot increases for f = 0.5 → 0.1 (f = 0.8: see table)",
)
report.record(
    "claim.best_f_falls",
    claims["theta0.best_f_falls"],
    description="θ = 0: best f along the keep-hard envelope is non-increasing in α_prune",
)
report.record(
    "claim.envelope_beats_power_law",
    claims["theta0.envelope_beats_power_law"],
    description="θ = 0: envelope exponent CI above the f = 1 exponent CI",
)
report.record(
    "theory.f1_exponent",
    f1fit.exponent,
    uncertainty=f1fit.se,
    ci=f1fit.ci,
    description="f = 1 power-law exponent on α_prune ∈ [0.5, 5] (OLS log-log)",
)
report.record(
    "theory.envelope_exponent",
    envfit.exponent,
    uncertainty=envfit.se,
    ci=envfit.ci,
    description="θ = 0 keep-hard envelope exponent on α_prune ∈ [0.5, 5]",
)
report.record(
    "theory.crossover_alpha_f0.5",
    float(cx[(cx.theta == 0) & (cx.f == 0.5)].crossover_alpha_tot.iloc[0]),
    description="θ = 0, f = 0.5: α_tot where keep-hard overtakes keep-easy",
)
if FULL:
    report.record(
        "claim.imperfect_probe_gain_saturates",
        claims["probe.gain_saturates"],
        description="gain over f = 1 at α_prune = 5 falls for θ = 0°, 10°, 20°",
    )
    report.record(
        "claim.minimum_useful_f",
        claims["probe.minimum_useful_f"],
        description="θ = 10°, 20°: the envelope never uses f = 0.1 (θ = 0 does)",
    )
    for th in design.thetas:
        report.record(
            f"theory.gain_theta{th:g}",
            claims[f"theta{th:g}.gain_at_max"],
            description=f"ε(f = 1) / ε(envelope) at α_prune = 5, θ = {th:g}°",
        )
print(
    f"easy-small/hard-large {claims['theta0.easy_small_hard_large']}; crossover grows "
    f"{claims['theta0.crossover_grows_as_f_shrinks']}; best f falls {claims['theta0.best_f_falls']}"
)
print(
    f"exponents: f = 1 {f1fit.exponent:.2f}, envelope {envfit.exponent:.2f}; beats "
    f"{claims['theta0.envelope_beats_power_law']}"
)

# %%
fig3 = figs.pareto(curves, details["envelopes"], fits[0.0], theta=0.0)
if FULL:
    fig4 = figs.imperfect_probe(curves, details["envelopes"])

# %% [markdown]
# ## 4. Real data that ships offline
#
# The paper's real-data results are ResNets on CIFAR-10, SVHN and ImageNet; none of those can be
# used here. We run the same protocol on scikit-learn's bundled **digits** (1,297-image train pool,
# 500 test) and, in full mode, **MNIST-1D** generated locally (4,800 pool, 1,200 test) with a
# random-ReLU-feature ridge classifier. Training pools of size n_tot are drawn from the train
# pool; each is pruned to f ∈ {1, 0.5, 0.25} by the cross-fitted probe **margin**, the
# self-supervised **prototype** distance (k-means on a PCA embedding, no labels) or at **random**.

# %%
t0 = time.perf_counter()
real = pr.real_data_study(
    design.real,
    design.real_fs,
    compare_f=design.real_compare_f,
    n_seeds=params.real_seeds,
    seed=params.seed,
    n_jobs=params.n_jobs,
)
timings["real"] = time.perf_counter() - t0
print(f"{len(real.runs)} trainings in {timings['real']:.1f} s")
display(
    real.summary.pivot_table(
        index=["dataset", "n_tot"], columns=["f", "metric", "strategy"], values="err_mean"
    ).round(3)
)
display(real.flips.round(3))
display(real.pruned_vs_random.round(4))

# %%
# NBVAL_CHECK_OUTPUT
for name in design.real:
    fit = real.random_fits[name]
    row = real.pruned_vs_random[real.pruned_vs_random.dataset == name].iloc[0]
    report.record(
        f"real.{name}.random_exponent",
        fit.exponent,
        uncertainty=fit.se,
        ci=fit.ci,
        description=f"{name}: power law of test error vs kept size, random pruning",
    )
    report.record(
        f"real.{name}.pruned_beats_random",
        row.beats,
        description=f"{name}, pool {row.n_tot}, f = {row.f:g}: best pruned ({row.best}) vs random, paired over seeds",
    )
    fl = real.flips[real.flips.dataset == name]
    report.record(
        f"real.{name}.order_flips",
        bool(fl.flips_to_hard.any()),
        description=f"{name}: some (metric, f) has easy better at the smallest pool and hard at the largest",
    )
    print(
        f"{name}: random exponent {fit.exponent:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]; "
        f"pruned beats random at f = {row.f:g}: {row.beats}; easy->hard flip: {bool(fl.flips_to_hard.any())}"
    )

# %%
fig5 = figs.real_data(real.summary, real.envelope, real.random_fits)

# %% [markdown]
# **What the small data sets can and cannot show.** They can show the protocol working end to
# end, the random-pruning power law, whether a margin or prototype metric beats random at a given
# kept size, and whether keep-easy/keep-hard swap order as the pool grows. They cannot test
# *beating* a power law: four pool sizes spanning one decade, a kernel-regime model and (MNIST-1D)
# an error far from zero leave no room to tell an exponential from a steeper power law, and the
# paper's regime (ResNets, 50k–1.3M images, errors of a few percent) is out of reach. The perceptron
# theory and simulation above are where the paper's central claim is reproduced quantitatively.

# %% [markdown]
# ## Verdict

# %%
print({k: round(v, 1) for k, v in timings.items()})
report.verdict()

# %%
report.save()

# %%
report.provenance()
