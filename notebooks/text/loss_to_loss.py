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
# # Loss-to-loss prediction: scaling laws for all datasets
#
# **Paper.** Brandfonbrener, Anand, Vyas, Malach & Kakade (2024), *Loss-to-Loss Prediction: Scaling
# Laws for All Datasets*, [arXiv:2411.12925](https://arxiv.org/abs/2411.12925). Data and notebooks:
# [KempnerInstitute/loss-to-loss-notebooks](https://github.com/KempnerInstitute/loss-to-loss-notebooks)
# @ `457ce81` (529 small OLMo-style models on six pre-training corpora, six held-out 3.3B models at
# 1e21 FLOPs, and the authors' own fitted parameters).
#
# **Claim tested.** The losses of two models trained on different corpora, paired by compute
# (same size N, same tokens D), follow a *shifted power law* $y = K\,(x - E_x)^{\kappa} + E_y$, where
# $E_x, E_y$ are the irreducible terms of per-corpus scaling laws. Fitted on the sweep (≤ 4.8e19
# FLOPs), these curves predict the 1e21-FLOP models' losses (20× extrapolation) to within about 1 %
# mean error (0.92 % mean, 2.07 % max), better than extrapolating each corpus's own scaling law,
# which over-predicts by about 3-5 %. The same form holds train-to-test (validation → downstream
# cross-entropy) and test-to-test.
#
# **Procedure (the authors').** (1) Per (training corpus, loss) a Kaplan-form law
# $L(N,D) = E + \big((A/N)^{\alpha/\beta} + B/D\big)^{\beta}$, objective the *mean* Huber loss
# (δ = 1e-3) of $\log L - \log \hat L$, 16 L-BFGS starts ($\log A, \log B \in \{5,10,15,20\}$,
# $\log E = 0.5$, $\alpha=\beta=0.4$). (2) κ, K by least squares of $\log(y-E_y)$ on $\log(x-E_x)$
# over runs paired by (N, D). (3) Predict the 1e21-FLOP losses through the curves.
#
# `mode = "quick"` runs steps (1)-(3) for the six validation losses (train-to-train, the paper's main
# table). `mode = "full"` adds every loss the authors fitted (132 laws, cross-checked against their
# released fits), the train-to-test and test-to-test families, and the scaling-law translation.

# %% tags=["parameters"]
mode = "quick"
seed = 0
huber_delta = 1e-3
gtol = 1e-10
ftol = 1e-13
n_bootstrap = 200
translation_source = "fineweb-edu-100b"
translation_selection = "per_budget"

# %%
import time

import pandas as pd
from IPython.display import display

from scalingkit import data
from scalingkit import reporting as report
from scalingkit.data import corpora
from scalingkit.plots import set_style
from scalingkit.workbooks import loss_to_loss as l2l
from scalingkit.workbooks.loss_to_loss import figures as figs

set_style(dpi=80)
params = report.start("loss_to_loss", mode_defaults=l2l.MODE_DEFAULTS)
FULL = params.mode == "full"
FIT = dict(huber_delta=params.huber_delta, gtol=params.gtol, ftol=params.ftol)
LABEL = corpora.CORPUS_LABELS
KEY = corpora.corpus_key
t_start = time.perf_counter()

# %% [markdown]
# ## Load
#
# The sweep is ragged: each corpus has its own set of runs (84-91). `scalingkit.data` verifies the
# files' sha256 against the registry. The authors' fitted parameters (`opt_params_data.csv`) are
# loaded only to cross-check our fits, never as an input to them.

# %%
# NBVAL_CHECK_OUTPUT
runs = data.load_loss_to_loss_sweep()
held_out = data.load_loss_to_loss_extrapolation()
authors = data.load_loss_to_loss_opt_params()
print(f"sweep: {len(runs)} runs; held out: {len(held_out)} runs at 1e21 FLOPs")
print(runs.groupby("data").size().rename(index=LABEL).to_string())
print(f"largest sweep budget: {runs['iso_flop'].max():.3g} FLOPs")
long = l2l.tidy_losses(runs)
print(f"long form: {len(long)} (run, loss) values over {long['loss'].nunique()} losses")

# %% [markdown]
# ## 1. Per-corpus scaling laws and their irreducible losses
#
# Each corpus's own validation loss gets a Kaplan-form law; its $E$ enters the train-to-train
# curves. Uncertainty: a bootstrap over runs (refits from the best fit, seeded). The stopping
# tolerances matter here: the mean Huber objective is ~1e-5, so scipy's default `gtol = 1e-5` would
# stop at the initial grid; `gtol = 1e-10` reaches the authors' objective values.

# %%
t0 = time.perf_counter()
own = l2l.fit_own_validation_laws(runs, **FIT, n_bootstrap=params.n_bootstrap, seed=params.seed)
t_own = time.perf_counter() - t0
E_own = l2l.irreducible_losses(own)
E_draws = l2l.irreducible_samples(own)
for corpus in corpora.CORPORA:
    r = own.loc[(corpus, corpora.VAL_LOSS[corpus])]
    report.record(
        f"irreducible.{KEY(corpus)}",
        r["E"],
        uncertainty=r["E_se"],
        ci=(r["E_ci_low"], r["E_ci_high"]),
        description=f"E of the {LABEL[corpus]} law on its own validation loss, "
        f"bootstrap SE ({params.n_bootstrap} resamples)",
    )

# %%
# NBVAL_CHECK_OUTPUT
tab = own.reset_index()[["corpus", "E", "alpha", "beta", "objective", "converged", "n_converged"]]
tab = tab.assign(corpus=tab["corpus"].map(LABEL))
print(
    tab.to_string(
        index=False,
        formatters={
            "E": "{:.3f}".format,
            "alpha": "{:.3f}".format,
            "beta": "{:.3f}".format,
            "objective": "{:.4e}".format,
        },
    )
)

# %%
print(f"6 fits + {params.n_bootstrap} bootstrap refits each: {t_own:.1f} s")
display(own[["E", "E_se", "E_ci_low", "E_ci_high"]].round(3))

# %% [markdown]
# ### Cross-check against the authors' fits
#
# For each (corpus, loss) fitted here we compare our objective with the authors' (from
# `opt_params_data.csv`, same objective) and our $E$ with theirs. In full mode this covers every
# loss they fitted (22 losses × 6 corpora; their `val_loss` column duplicates each corpus's own
# validation loss).

# %%
t0 = time.perf_counter()
fits = l2l.fit_corpus_laws(runs, list(corpora.LOSS_COLUMNS), **FIT) if FULL else own
t_all = time.perf_counter() - t0
check = l2l.compare_with_authors(fits, authors)
frac_le = float(check["ours_le_theirs"].mean())
report.record(
    "fits.objective_le_authors_fraction",
    frac_le,
    description=f"share of {len(check)} (corpus, loss) fits with objective <= the authors' (+1e-9)",
)

# %%
# NBVAL_CHECK_OUTPUT
print(f"fits compared: {len(check)}; converged: {int(fits['converged'].sum())}")
print(f"our objective <= theirs (within 1e-9): {int(check['ours_le_theirs'].sum())} / {len(check)}")
q = check["E_rel_diff"].quantile([0.5, 0.9, 1.0])
print("|E_ours - E_theirs| / E_theirs: median {:.1e}, 90% {:.1e}, max {:.1e}".format(*q))
own_check = check.loc[[(c, corpora.VAL_LOSS[c]) for c in corpora.CORPORA]]
print(f"own validation losses: max relative E difference {own_check['E_rel_diff'].max():.1e}")

# %%
print(f"fitting time: {t_all:.1f} s for {len(fits)} laws")
flat = check[check["E_rel_diff"] > 1e-3].sort_values("E_rel_diff", ascending=False)
print(f"{len(flat)} fits with |ΔE|/E > 1e-3 (all with objective <= theirs):")
display(flat.round(6).head(15))

# %% [markdown]
# Where $E$ differs (only downstream cross-entropies: ARC, SciQ, MMLU subsets, BoolQ), our objective
# is *equal or lower*: these laws are nearly flat along a direction that trades $E$ against the
# reducible term, so the optimiser's stopping point decides $E$ (often $E \to 0$). The authors'
# JAX L-BFGS stopped earlier on that ridge. The validation-loss fits, which carry the paper's main
# claims, agree to ~1e-6.
#
# ## 2. Train-to-train: the shifted power laws
#
# Runs are paired across corpora by model configuration and token count (an inner join on
# $(N, D)$; 76-86 pairs per corpus pair).

# %%
tt_specs = l2l.train_to_train_specs()
tt = l2l.fit_family(runs, tt_specs, E_own, extrapolation=held_out, E_samples=E_draws)
tt_auth = l2l.fit_family(runs, tt_specs, l2l.authors_irreducible_losses(authors))
for a, b in [
    ("fineweb-edu-100b", "proof-pile-2"),
    ("fineweb-100b", "starcoder"),
    ("proof-pile-2", "slimpajama-chunk1"),
]:
    r = tt[(tt["x_corpus"] == a) & (tt["y_corpus"] == b)].iloc[0]
    ra = tt_auth[(tt_auth["x_corpus"] == a) & (tt_auth["y_corpus"] == b)].iloc[0]
    name = f"{KEY(a)}.{KEY(b)}"
    what = f"{LABEL[a]} → {LABEL[b]}"
    report.record(
        f"train_to_train.{name}.kappa",
        r["kappa"],
        uncertainty=r["kappa_boot_se"],
        description=f"κ, {what}; SE from bootstrap of E (OLS SE {r['kappa_se']:.4f})",
    )
    report.record(
        f"train_to_train.{name}.k",
        r["K"],
        uncertainty=r["K_boot_se"],
        description=f"K, {what}; SE from bootstrap of E",
    )
    report.record(
        f"authors_e.train_to_train.{name}.kappa",
        ra["kappa"],
        description=f"κ, {what}, OLS with the authors' E",
    )
    report.record(
        f"authors_e.train_to_train.{name}.k",
        ra["K"],
        description=f"K, {what}, OLS with the authors' E",
    )
dev = l2l.max_relative_deviation(tt, tt_auth)
report.record(
    "train_to_train.max_rel_dev_vs_authors_e",
    dev,
    description="max over 30 pairs of the relative deviation of our κ or K from the "
    "OLS on the authors' E (= their printed table)",
)

# %%
# NBVAL_CHECK_OUTPUT
show = tt.assign(x=tt["x_corpus"].map(LABEL), y=tt["y_corpus"].map(LABEL))
print(
    show[["x", "y", "n", "kappa", "K"]].to_string(
        index=False, formatters={"kappa": "{:.4f}".format, "K": "{:.4f}".format}
    )
)
print(f"max relative deviation from the OLS on the authors' E (30 pairs): {dev:.1e}")

# %% [markdown]
# The κ, K above use *our* $E$ and match the authors' table to ~1e-6. Their precision is
# deceptive, though: the OLS standard error of κ (conditional on $E$) is ~0.002-0.007, but
# propagating the bootstrap uncertainty of $E_x, E_y$ through the OLS gives a much larger spread:

# %%
unc = tt.assign(x=tt["x_corpus"].map(LABEL), y=tt["y_corpus"].map(LABEL))[
    ["x", "y", "kappa", "kappa_se", "kappa_boot_se", "K", "K_boot_se", "n_boot"]
]
display(unc.round(3).head(10))
print(
    f"median SE of κ: OLS given E {tt['kappa_se'].median():.4f}; "
    f"through the bootstrap of E {tt['kappa_boot_se'].median():.3f}"
)

# %%
fig = figs.kappa_k_heatmaps(tt)

# %%
tt_points = l2l.family_points(runs, tt_specs)
fig = figs.loss_scatter(
    tt_points,
    l2l.curve_frame(tt, tt_points),
    tt,
    title="Train-to-train: validation loss of paired runs (x: corpus of the panel); ★ = 1e21 FLOPs",
)

# %% [markdown]
# ## 3. Extrapolation to 1e21 FLOPs
#
# Each held-out model's loss is predicted (a) through each of the five train-to-train curves that
# end on its corpus, from the held-out model on the other corpus, and (b) from its corpus's own
# scaling law at its $(N, D)$.

# %%
single = l2l.scaling_law_extrapolation(
    fits, held_out, [(c, corpora.VAL_LOSS[c]) for c in corpora.CORPORA]
)
err = l2l.extrapolation_errors(tt, single)
report.record(
    "extrapolation.train_to_train.mean_abs_rel_error",
    err["curves_mean_abs"],
    description="mean |relative error| of the 30 train-to-train predictions at 1e21 FLOPs",
)
report.record(
    "extrapolation.train_to_train.max_abs_rel_error",
    err["curves_max_abs"],
    description="max |relative error| of the 30 train-to-train predictions at 1e21 FLOPs",
)
report.record(
    "extrapolation.scaling_law.min_rel_error",
    err["single_min"],
    description="smallest signed relative error of the six single-corpus laws at 1e21",
)
report.record(
    "extrapolation.scaling_law.max_rel_error",
    err["single_max"],
    description="largest signed relative error of the six single-corpus laws at 1e21",
)
report.record(
    "extrapolation.train_to_train_beats_scaling_law",
    err["curves_beat_single"],
    description=f"train-to-train mean |error| {err['curves_mean_abs']:.2%} < single-law "
    f"{err['single_mean_abs']:.2%}",
)

# %%
# NBVAL_CHECK_OUTPUT
print(
    f"train-to-train: mean |error| {err['curves_mean_abs']:.2%}, "
    f"max {err['curves_max_abs']:.2%} (30 predictions)"
)
by_corpus = tt.groupby("y_corpus")["rel_error"].agg(lambda e: e.abs().mean())
s = single.set_index("corpus")
print(f"{'corpus':<12} {'observed':>9} {'law pred':>9} {'law err':>8} {'l2l mean|err|':>14}")
for c in corpora.CORPORA:
    print(
        f"{LABEL[c]:<12} {s.loc[c, 'y_star']:9.4f} {s.loc[c, 'y_pred']:9.4f} "
        f"{s.loc[c, 'rel_error']:8.2%} {by_corpus[c]:14.2%}"
    )
print(
    f"single-corpus laws: mean |error| {err['single_mean_abs']:.2%}, all over-predict: "
    f"{bool((single['rel_error'] > 0).all())}"
)

# %%
fig = figs.extrapolation_bars(tt, single)

# %% [markdown]
# ## 4. Train-to-test and test-to-test (full mode)
#
# Train-to-test: runs trained on one corpus, their validation loss (x) vs a downstream
# cross-entropy (y) of the same runs. Test-to-test: the same downstream loss for runs trained on two
# corpora, paired by $(N, D)$. $E$ of every loss comes from step 1 (full mode fits all of them).

# %%
if FULL:
    E_all = l2l.irreducible_losses(fits)
    tr = l2l.fit_family(runs, l2l.train_to_test_specs(), E_all, extrapolation=held_out)
    te = l2l.fit_family(runs, l2l.test_to_test_specs(), E_all, extrapolation=held_out)
    for task in ("hellaswag", "mmlu_humanities"):
        r = tr[(tr["x_corpus"] == "fineweb-edu-100b") & (tr["y_loss"] == task)].iloc[0]
        report.record(
            f"train_to_test.fineweb_edu.{task}.kappa",
            r["kappa"],
            uncertainty=r["kappa_se"],
            description=f"κ, FineWeb-Edu val → {task} (OLS SE)",
        )
        report.record(
            f"train_to_test.fineweb_edu.{task}.k",
            r["K"],
            description=f"K, FineWeb-Edu val → {task}",
        )
    summary = l2l.family_summary({"train-to-train": tt, "train-to-test": tr, "test-to-test": te})
    display(summary.round(4))
    display(
        tr[tr["x_corpus"] == "fineweb-edu-100b"][
            ["y_loss", "e_y", "kappa", "K", "r_squared", "n", "n_dropped", "rel_error"]
        ].round(4)
    )
else:
    print("train-to-test and test-to-test: full mode only")

# %%
if FULL:
    tasks = ["hellaswag", "mmlu_humanities", "arc_easy", "piqa"]
    specs = [s for s in l2l.train_to_test_specs(test_losses=tasks)]
    pts = l2l.family_points(runs, specs)
    sel = tr[tr["y_loss"].isin(tasks)]
    fig = figs.loss_scatter(
        pts,
        l2l.curve_frame(sel, pts),
        sel,
        panel="y_loss",
        hue="x_corpus",
        col_wrap=4,
        title="Train-to-test: validation loss → downstream CE",
    )
    specs = [
        s for s in l2l.test_to_test_specs(test_losses=tasks) if s.x_corpus == "fineweb-edu-100b"
    ]
    pts = l2l.family_points(runs, specs)
    sel = te[te["y_loss"].isin(tasks) & (te["x_corpus"] == "fineweb-edu-100b")]
    fig = figs.loss_scatter(
        pts,
        l2l.curve_frame(sel, pts),
        sel,
        panel="y_loss",
        hue="y_corpus",
        col_wrap=4,
        title="Test-to-test: x = FineWeb-Edu-trained runs",
    )

# %% [markdown]
# ## 5. Translating a scaling law (full mode)
#
# Substituting the source law into the train-to-train curve gives a Kaplan law for the *destination*
# corpus with the same $A$, $B$, $\alpha/\beta$ and only three free parameters
# ($E_1$, $K$, $\kappa$): $L_1 = E_1 + K\,\big((A/N)^{\alpha/\beta} + B/D\big)^{\beta\kappa}$.
# We fit those three to a handful of destination runs (`per_budget`: one run per isoFLOP budget, the one
# closest to the source law's compute-optimal size; 8 runs) and compare with a full 5-parameter
# Kaplan fit to the same runs, and with the same curve applied to the observed loss of the source
# corpus's 1e21 model. References: the held-out 1e21-FLOP loss and the compute-optimal losses of the
# law fitted on *all* destination runs. The upstream `translation_experiment.ipynb` was not
# readable from our mirror, so the run selection is our reconstruction (see the note below).

# %%
if FULL:
    source = params.translation_source
    trans = l2l.translation_experiment(
        runs,
        held_out,
        fits,
        source,
        destinations=[c for c in corpora.CORPORA if c != source],
        selection=params.translation_selection,
        **FIT,
    )
    display(trans.drop(columns="source").round(4))
    fig = figs.translation_bars(trans)
else:
    print("translation experiment: full mode only")

# %% [markdown]
# ## What reproduced, what did not, and why
#
# * **Per-corpus laws.** Our objective is at most the authors' for every fit; on the six validation
#   losses our $E$ equals theirs to ~1e-6 (FineWeb 2.170, FineWeb-Edu 1.967, ProofPile 2 1.319,
#   SlimPajama 1.967, SmolLM 1.534, StarCoder 0.845). Some downstream-loss fits differ in $E$ at equal
#   or lower objective (a flat ridge; see the cross-check), which shifts the corresponding
#   train-to-test κ, K, but not the paper's two quoted examples.
# * **Train-to-train κ, K.** Identical to the printed table for all 30 pairs (deviation ~1e-6), and
#   the OLS step alone with the authors' $E$ reproduces their numbers to 1e-4. The real uncertainty
#   of κ, K is dominated by $E$ (bootstrap SE ~0.1 on κ), not by the OLS.
# * **Extrapolation.** Train-to-train predictions of the 1e21-FLOP losses: 0.92 % mean, 2.07 % max
#   |error|, as reported; every single-corpus law over-predicts by 3.2-4.8 %.
# * **Translation.** No paper number is compared (the upstream `translation_experiment.ipynb` was
#   not readable from our mirror, so the selection of the "handful" of runs is ours: one per isoFLOP
#   budget). The 3-parameter translated law inherits the source law's extrapolation bias (the
#   FineWeb-Edu law over-predicts its own 1e21 loss by ~4 %), so at 1e21 FLOPs it is *worse* than a
#   direct 5-parameter fit on the same 8 runs (3-7 % vs 1-3 %). Applied instead to the *observed*
#   loss of the source corpus's 1e21 model (train-to-train style), the 8-run curve predicts the
#   destination within ~0.6-2 %, on par with the direct fit. At the sweep's own budgets (interpolation)
#   all variants agree with the full-data law to ~1-2 %. A side observation: the direct fit on 8
#   near-compute-optimal runs extrapolates to 1e21 better than the law fitted on *all* runs of the
#   same corpus (here for all five destinations, e.g. FineWeb 0.7 % vs 4.1 %). This suggests the
#   single-corpus laws' over-prediction comes from fitting one Kaplan form to far-from-optimal runs
#   as well, not from a lack of data.

# %% [markdown]
# ## Verdict

# %%
# NBVAL_CHECK_OUTPUT
v = report.verdict()
print(v["status"].value_counts().to_string())

# %%
display(v)
print(f"total time: {time.perf_counter() - t_start:.1f} s ({params.mode} mode)")

# %%
report.save()

# %%
report.provenance()
