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
# # Data tour: the public runs behind every workbook
#
# Every number in scalingkit starts from a file the papers' authors published. Read this notebook
# first: it lists each file in the registry (`data/registry.toml`) with its provenance (upstream
# repository, pinned commit, license), checks its sha256, and shows one figure of each dataset's
# structure:
#
# * **Chinchilla** (Hoffmann et al. 2022, re-extracted by Besiroglu et al. 2024, arXiv:2404.10102):
#   final loss of every run against compute, coloured by model size.
# * **Loss-to-loss** (Brandfonbrener et al. 2024, arXiv:2411.12925): validation loss against compute
#   for models trained on six corpora.
# * **Data mixtures** (Shukor et al. 2025, arXiv:2507.09404): per-domain loss against that domain's
#   weight.
# * **RegMix** (Liu et al. 2024, arXiv:2407.01492): the same mixtures' loss at two model sizes.
#
# The claim tested here is only that the data are what the registry says they are: every file's
# hash matches, and the loaders keep every run. Its verdict therefore holds sanity checks, not
# paper values.

# %% tags=["parameters"]
mode = "quick"  # "quick" or "full": the data tour does the same in both
mixture_model_size = 122e6  # model size N (parameters) of the data-mixtures figure
regmix_domain = "pile_cc"  # Pile validation set whose loss the RegMix figure compares

# %%
import pandas as pd
from IPython.display import display

from scalingkit import data
from scalingkit import reporting as report
from scalingkit.plots import set_style
from scalingkit.workbooks import data_tour as tour
from scalingkit.workbooks.data_tour import figures as figs

set_style()
params = report.start("00_data_tour", mode_defaults=tour.MODE_DEFAULTS)
report.parameters_table()

# %% [markdown]
# ## The registry
#
# Each row is one upstream file, pinned to a commit. `scalingkit data verify` does the same check
# from the command line; with `SCALINGKIT_DATA_DIR` set, files come from that local mirror,
# otherwise they are downloaded once into the cache and verified there.

# %%
registry = data.registry_table()
report.table(
    registry[["key", "repository", "commit", "license", "description"]].assign(
        commit=lambda t: t["commit"].str[:9]
    ),
    "The registered files: upstream repository, pinned commit (first 9 characters), license.",
    label="registry",
)

# %% tags=["remove-cell"]
# NBVAL_CHECK_OUTPUT
checks = data.verify()
report.record("registry.n_files", len(checks), description="files in the registry")
report.record(
    "registry.n_verified", int(checks["ok"].sum()), description="files whose sha256 matches"
)
report.record(
    "registry.all_verified", bool(checks["ok"].all()), description="every file's sha256 matches"
)
print(f"{int(checks['ok'].sum())} of {len(checks)} files match their registered sha256")

# %%
if checks["ok"].all():
    report.markdown(
        "All {{ registry.n_files }} registered files match their pinned sha256: every workbook "
        "below reads exactly the bytes its upstream authors published."
    )
else:
    report.markdown(
        "Only {{ registry.n_verified }} of the {{ registry.n_files }} registered files match "
        "their pinned sha256; nothing built on the others can be trusted:"
    )
    display(checks[~checks["ok"]])

# %% [markdown]
# ## Chinchilla: Figure 4 of Hoffmann et al., re-extracted
#
# Columns: `params` (N), `tokens` (D = C / 6N), `flops` (C), `loss`. The replication drops the
# five highest-loss points; that is the workbook's parameter, not a cleaning step, so every run is
# shown here.

# %%
chinchilla = data.load_chinchilla()
report.table(
    chinchilla.describe().T[["count", "min", "50%", "max"]],
    "The Chinchilla runs, column by column: count, minimum, median and maximum.",
    label="chinchilla-columns",
)

# %% tags=["remove-cell"]
# NBVAL_CHECK_OUTPUT
report.record("chinchilla.n_runs", len(chinchilla), description="runs in the re-extracted Figure 4")
report.record(
    "chinchilla.n_model_sizes",
    chinchilla["params"].nunique(),
    description="distinct model sizes among them",
)
print(f"runs: {len(chinchilla)}, distinct model sizes: {chinchilla['params'].nunique()}")
print(f"compute range: {chinchilla['flops'].min():.1e} to {chinchilla['flops'].max():.1e} FLOP")

# %%
report.figure(
    figs.chinchilla_loss_vs_compute(chinchilla),
    "Final loss of the {{ chinchilla.n_runs }} re-extracted Chinchilla runs "
    "({{ chinchilla.n_model_sizes }} distinct model sizes) against training compute, from "
    "{{ c_min }} to {{ c_max }} FLOP. At a given compute the loss depends on how it is "
    "split between model size and data: the spread at fixed C is what the parametric fit "
    "$L(N, D)$ of the replication workbook explains.",
    label="chinchilla",
    headline=True,
    c_min=chinchilla["flops"].min(),
    c_max=chinchilla["flops"].max(),
)

# %% [markdown]
# ## Loss-to-loss: six pre-training corpora
#
# The sweep is ragged: each corpus has its own set of runs (model configuration × token count).
# Pairs across corpora are formed later by matching configuration and tokens. Below, each corpus's
# runs with their loss on the corpus's own validation set.

# %%
sweep = data.load_loss_to_loss_sweep()
corpora = data.corpora
own_validation = {c: corpora.loss_column(corpora.VAL_LOSS[c]) for c in corpora.CORPORA}
summary = sweep.groupby("data").agg(
    runs=("name", "size"),
    model_sizes=("params", "nunique"),
    min_compute=("iso_flop", "min"),
    max_compute=("iso_flop", "max"),
)
report.table(
    summary,
    "The loss-to-loss sweep per training corpus: runs, distinct model sizes, and the range of "
    "their compute C = 6ND (FLOP; the `iso_flop` column, not the upstream `flops` column).",
    label="loss-to-loss-corpora",
)

# %% tags=["remove-cell"]
# NBVAL_CHECK_OUTPUT
extrapolation = data.load_loss_to_loss_extrapolation()
report.record("loss_to_loss.n_runs", len(sweep), description="runs in the sweep")
report.record("loss_to_loss.n_heldout", len(extrapolation), description="held-out 1e21-FLOP runs")
print(
    f"sweep runs: {len(sweep)} over {sweep['data'].nunique()} corpora; held-out large runs: {len(extrapolation)}"
)
print(summary["runs"].to_string())

# %%
report.figure(
    figs.loss_to_loss_loss_vs_compute(sweep, own_validation),
    "Each corpus's own validation loss against compute for its runs ({{ loss_to_loss.n_runs }} "
    "in all; {{ loss_to_loss.n_heldout }} larger runs at 1e21 FLOP are held out for the "
    "extrapolation test). The levels differ by corpus (code and math are easier to predict "
    "than web text), which is why the loss-to-loss workbook fits one law per corpus before "
    "relating them.",
    label="loss-to-loss",
)

# %% [markdown]
# ## Data mixtures: seven SlimPajama domains
#
# Each run trains a model of size N on D tokens with mixture weights h (summing to one) and reports
# the validation loss on every domain. A few losses are missing upstream; the loader counts them
# and the mixture workbook drops a run only from the fits that need the missing column.

# %%
mixtures = data.load_slimpajama_mixtures()
report.table(
    mixtures.groupby("params").agg(runs=("tokens", "size"), token_budgets=("tokens", "nunique")),
    "SlimPajama mixture runs per model size N: runs and distinct token budgets.",
    label="mixture-sizes",
)

# %% tags=["remove-cell"]
# NBVAL_CHECK_OUTPUT
weights = [c for c in mixtures.columns if c.startswith("weight_")]
report.record("mixtures.n_runs", len(mixtures), description="SlimPajama mixture runs")
report.record(
    "mixtures.n_mixtures",
    len(mixtures[weights].round(6).drop_duplicates()),
    description="distinct mixtures among them",
)
print(
    f"runs: {len(mixtures)}, model sizes: {mixtures['params'].nunique()}, "
    f"distinct mixtures: {len(mixtures[weights].round(6).drop_duplicates())}"
)
print("missing losses:", mixtures.attrs["missing_losses"])

# %%
missing = mixtures.attrs["missing_losses"]
report.figure(
    figs.mixtures_loss_vs_weight(mixtures, data.MIXTURE_DOMAINS, params=params.mixture_model_size),
    "Validation loss on each domain against that domain's weight in the mixture, at "
    "N = {{ params.mixture_model_size }} parameters, coloured by tokens seen "
    "({{ mixtures.n_runs }} runs over {{ mixtures.n_mixtures }} distinct mixtures in all). "
    "A domain's loss falls as its weight grows, steeply near zero weight: the curvature the "
    "mixture laws' $h_j^{\\gamma_j}$ terms model. {{ n_missing }} losses are missing upstream.",
    label="mixtures",
    n_missing=sum(missing.values()),
)

# %% [markdown]
# ## RegMix: mixtures over Pile domains at 1M, 60M and 1B parameters
#
# RegMix fits a regression on many small (1M-parameter) runs and uses it to rank mixtures for
# large models. The test mixtures at 1M and 60M are the same mixtures, so their losses can be
# compared directly; the 1B test set holds different mixtures.

# %%
regmix = {
    ("train", "1m"): data.load_regmix("train", "1m"),
    ("test", "1m"): data.load_regmix("test", "1m"),
    ("test", "60m"): data.load_regmix("test", "60m"),
    ("test", "1B"): data.load_regmix("test", "1B"),
}
report.table(
    pd.DataFrame(
        {
            f"{split} {scale}": {
                "mixtures": len(t),
                "domains (weights)": sum(c.startswith("weight_") for c in t.columns),
                "validation sets": sum(c.endswith("_loss") for c in t.columns),
            }
            for (split, scale), t in regmix.items()
        }
    ).T,
    "The RegMix files: mixtures, training domains and validation sets of each split and size.",
    label="regmix-files",
)

# %% tags=["remove-cell"]
# NBVAL_CHECK_OUTPUT
report.record(
    "regmix.n_train", len(regmix[("train", "1m")]), description="1M-parameter training runs"
)
domain = params.regmix_domain
rho = tour.regmix.rank_correlation(regmix[("test", "1m")], regmix[("test", "60m")], domain)
report.record(
    "regmix.rank_correlation_1m_60m",
    rho,
    description=f"Spearman rho of {domain} loss between 1M and 60M models, same mixtures",
)
print({f"{split}_{scale}": len(t) for (split, scale), t in regmix.items()})
print(f"rank correlation 1M vs 60M: {rho:.2f}")

# %%
report.figure(
    figs.regmix_small_vs_large(
        regmix[("test", "1m")], regmix[("test", "60m")], params.regmix_domain, ("1M", "60M")
    ),
    "Loss on {{ domain }} of the same test mixtures trained at 1M and at 60M parameters. The "
    "ranking largely carries over (Spearman's ρ = {{ regmix.rank_correlation_1m_60m:.2f }}): "
    "the premise of RegMix, which picks a mixture for large models from "
    "{{ regmix.n_train }} small runs.",
    label="regmix",
    domain=params.regmix_domain,
)

# %% [markdown]
# ## Verdict
#
# The checks of this notebook: each row is a property of the data (source kind *sanity check*),
# compared in both modes.

# %%
report.verdict()

# %% [markdown]
# ## Conclusion

# %%
report.conclusion(
    "The {{ registry.n_files }} files behind the workbooks are the ones the registry pins, and "
    "the loaders keep every run: {{ chinchilla.n_runs }} Chinchilla runs, "
    "{{ loss_to_loss.n_runs }} loss-to-loss runs plus {{ loss_to_loss.n_heldout }} held out, "
    "{{ mixtures.n_runs }} SlimPajama mixture runs and {{ regmix.n_train }} RegMix training "
    "runs. Nothing here is a paper's result; the workbooks that follow test those."
)

# %% [markdown]
# ## Provenance

# %%
report.save()
report.table(
    report.provenance(),
    "What produced these numbers: the scalingkit commit, package versions, and the sha256 of "
    "every data file read.",
    label="provenance",
)
