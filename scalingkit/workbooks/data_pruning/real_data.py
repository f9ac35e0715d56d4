"""Data pruning on real data: MNIST-1D pools from a hundred to tens of thousands of examples.

Sorscher et al. (2022, arXiv 2206.14486) prune ResNet training sets of CIFAR-10, SVHN and
ImageNet; none of those can be used here. MNIST-1D (Greydanus 2020) is generated locally, as
many samples as needed (:func:`scalingkit.data.load_mnist1d`), so the pool can grow until the
model leaves the data-scarce regime. The protocol, per replicate (seed):

1. draw a fresh MNIST-1D pool of the block's largest size; smaller pools are its prefixes
   (nested), so every pool of a replicate shares its examples;
2. draw this replicate's model (:class:`~.conv_model.ConvFeatures`, random filters) and, for the
   prototype metric, an independent unsupervised embedding;
3. on each pool, score every example with every metric (:mod:`.metrics`), keep the fraction
   ``f`` by keep-easy, keep-hard or at random, fit the ridge classifier on what is kept and
   measure its error on one shared test set (drawn once, independent of every pool).

Replicates are independent (data, model, metric randomness) and run in parallel; results do
not depend on the number of workers. The class-balanced selection and the fixed-quality
(held-out) probe are our sensitivity analyses beside the main, unbalanced, pool-trained design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...data.datasets import RealData, load_mnist1d, load_real
from .conv_model import N_CLASSES, ConvFeatures, ridge_fit
from .metrics import (
    el2n_scores,
    heldout_margin_scores,
    margin_scores,
    prototype_scores,
    random_scores,
    select,
)

# RealData and load_real live in scalingkit.data; they stay importable from here (the small
# real data sets' old home) for existing callers.
__all__ = ["PoolBlock", "RealData", "RealDesign", "load_real", "run_pruning", "variants"]

#: Columns of the class counts of each kept subset.
CLASS_COLUMNS = tuple(f"n_{c}" for c in range(N_CLASSES))


@dataclass(frozen=True)
class PoolBlock:
    """Nested pool sizes run together on ``n_seeds`` independent replicates."""

    pools: tuple[int, ...]
    n_seeds: int

    def __post_init__(self) -> None:
        if not self.pools or min(self.pools) < 40 or self.n_seeds < 2:
            raise ValueError(
                "PoolBlock: need pool sizes >= 40 and n_seeds >= 2 "
                f"(paired standard errors), got pools={self.pools}, n_seeds={self.n_seeds}"
            )


@dataclass(frozen=True)
class RealDesign:
    """Everything that defines one real-data study.

    Attributes
    ----------
    blocks : tuple of PoolBlock
        Small pools need many replicates (keep-easy gains of 0.01-0.04 at errors of 0.5-0.8),
        large ones few (paired SEs of ~0.001 with a 10k test set).
    fs : tuple of float
        Kept fractions of the main design (1 = the whole pool).
    metrics : tuple of str
        Pruning metrics besides ``random`` (:data:`.metrics.METRICS`).
    n_test : int
        Size of the shared test set.
    balanced_fs, balanced_metrics
        Fractions and metrics also pruned with class-balanced selection (sensitivity).
    heldout_probe : int
        Labelled examples of the fixed-quality margin probe (0: no such analysis).
    heldout_fs : tuple of float
        Fractions of the held-out-probe analysis (unbalanced and balanced selection).
    model, embedding : ConvFeatures
        The classifier's features and the prototype metric's embedding (their ``seed`` is
        replaced by each replicate's own).
    alpha : float
        Ridge penalty of the classifier and of the margin probes.
    n_clusters, n_components : int
        k-means prototypes and PCA components of the prototype metric.
    el2n_epochs, el2n_runs : int
        Training epochs and independent runs of the EL2N probe.
    cv_folds : int
        Folds of the cross-fitted margin.
    """

    blocks: tuple[PoolBlock, ...]
    fs: tuple[float, ...] = (1.0, 0.5, 0.25)
    metrics: tuple[str, ...] = ("margin", "prototype")
    n_test: int = 5000
    balanced_fs: tuple[float, ...] = ()
    balanced_metrics: tuple[str, ...] = ("margin", "prototype")
    heldout_probe: int = 0
    heldout_fs: tuple[float, ...] = (0.5,)
    model: ConvFeatures = field(default_factory=ConvFeatures)
    embedding: ConvFeatures = field(default_factory=lambda: ConvFeatures(pooling="max"))
    alpha: float = 1.0
    n_clusters: int = 30
    n_components: int = 32
    el2n_epochs: int = 20
    el2n_runs: int = 4
    cv_folds: int = 2

    def __post_init__(self) -> None:
        known = {"margin", "el2n", "prototype"}
        for name in ("metrics", "balanced_metrics"):
            bad = set(getattr(self, name)) - known
            if bad:
                raise ValueError(f"RealDesign: unknown {name} {sorted(bad)}; known {sorted(known)}")
        if 1.0 not in self.fs or any(not 0.0 < f <= 1.0 for f in self.fs):
            raise ValueError(f"RealDesign: fs must lie in (0, 1] and include 1, got {self.fs}")

    @property
    def max_pool(self) -> int:
        return max(max(b.pools) for b in self.blocks)


def variants(design: RealDesign) -> list[tuple[float, str, str, str, str]]:
    """Every trained subset of one pool: ``(f, metric, strategy, selection, probe)``.

    ``metric = "none", strategy = "all"`` is the whole pool; ``strategy = "random"`` is random
    pruning (the baseline of its selection); probe ``"pool"`` means the metric was computed on
    the pool itself, ``"heldout"`` by the fixed-quality probe.
    """
    out = [(1.0, "none", "all", "unbalanced", "pool")]
    for f in (f for f in design.fs if f < 1.0):
        out.append((f, "random", "random", "unbalanced", "pool"))
        out += [(f, m, s, "unbalanced", "pool") for m in design.metrics for s in ("easy", "hard")]
    for f in design.balanced_fs:
        out.append((f, "random", "random", "balanced", "pool"))
        out += [
            (f, m, s, "balanced", "pool") for m in design.balanced_metrics for s in ("easy", "hard")
        ]
    if design.heldout_probe:
        for f in design.heldout_fs:
            for sel in ("unbalanced", "balanced"):
                if sel == "balanced" and f not in design.balanced_fs:
                    out.append((f, "random", "random", "balanced", "pool"))
                out += [(f, "margin", s, sel, "heldout") for s in ("easy", "hard")]
    return list(dict.fromkeys(out))


def _scores(design, metric, F, E, y, rng):
    if metric == "random":
        return random_scores(len(y), rng)
    if metric == "margin":
        return margin_scores(F, y, rng, alpha=design.alpha, n_folds=design.cv_folds)
    if metric == "el2n":
        return el2n_scores(F, y, rng, epochs=design.el2n_epochs, n_runs=design.el2n_runs)
    return prototype_scores(E, rng, n_clusters=design.n_clusters, n_components=design.n_components)


def _replicate(design: RealDesign, block: int, rep: int, seq, X_test, y_test, probe_set):
    """All pools of one replicate of one block (runs in a worker)."""
    pools = design.blocks[block].pools
    data_seed, model_seed, emb_seed, metric_seed = seq.generate_state(4)
    X, y = load_mnist1d(max(pools), int(data_seed))
    model = ConvFeatures(**{**design.model.__dict__, "seed": int(model_seed)})
    F, F_test = model.transform(X), model.transform(X_test)
    needs_embedding = "prototype" in design.metrics + design.balanced_metrics
    E = None
    if needs_embedding:
        E = ConvFeatures(**{**design.embedding.__dict__, "seed": int(emb_seed)}).transform(X)
    F_probe = None if probe_set is None else model.transform(probe_set[0])
    todo = variants(design)
    metrics = sorted({m for _, m, *_ in todo if m != "none"})
    rows = []
    for P in pools:
        Fp, yp = F[:P], y[:P]
        rngs = dict(
            zip(
                metrics,
                map(
                    np.random.default_rng,
                    np.random.SeedSequence([int(metric_seed), P]).spawn(len(metrics)),
                ),
                strict=True,
            )
        )
        scores = {
            m: _scores(design, m, Fp, None if E is None else E[:P], yp, rngs[m]) for m in metrics
        }
        if F_probe is not None:
            heldout = heldout_margin_scores(Fp, yp, F_probe, probe_set[1], alpha=design.alpha)
        for f, metric, strategy, selection, probe in todo:
            if strategy == "all":
                keep = np.arange(P)
            else:
                s = heldout if probe == "heldout" else scores[metric]
                keep = select(
                    s,
                    f,
                    "easy" if strategy == "random" else strategy,
                    yp,
                    balanced=selection == "balanced",
                )
            err = ridge_fit(Fp[keep], yp[keep], design.alpha).error(F_test, y_test)
            counts = np.bincount(yp[keep], minlength=N_CLASSES)
            rows.append(
                dict(
                    block=block,
                    rep=rep,
                    pool=P,
                    f=f,
                    n_kept=len(keep),
                    metric=metric,
                    strategy=strategy,
                    selection=selection,
                    probe=probe,
                    error=err,
                    **dict(zip(CLASS_COLUMNS, counts.tolist(), strict=True)),
                )
            )
    return rows


def run_pruning(design: RealDesign, *, seed: int = 0, n_jobs: int = -1) -> pd.DataFrame:
    """Run every replicate of every block of ``design``; one row per trained subset.

    Columns: ``block, rep, pool, f, n_kept, metric, strategy, selection, probe, error`` and the
    kept class counts ``n_0 ... n_9``. The same ``seed`` gives the same frame whatever
    ``n_jobs``.
    """
    from joblib import Parallel, delayed

    root = np.random.SeedSequence(seed)
    test_seq, probe_seq, *block_seqs = root.spawn(2 + len(design.blocks))
    draws = [(design.n_test, int(test_seq.generate_state(1)[0]))]
    if design.heldout_probe:
        draws.append((design.heldout_probe, int(probe_seq.generate_state(1)[0])))
    sets = Parallel(n_jobs=n_jobs)(delayed(load_mnist1d)(n, s) for n, s in draws)
    X_test, y_test = sets[0]
    probe_set = sets[1] if design.heldout_probe else None
    tasks = [
        (b, r, seq)
        for b, (block, bseq) in enumerate(zip(design.blocks, block_seqs, strict=True))
        for r, seq in enumerate(bseq.spawn(block.n_seeds))
    ]
    # largest blocks first, so that the long replicates do not end up last on one worker
    tasks.sort(key=lambda t: -max(design.blocks[t[0]].pools))
    out = Parallel(n_jobs=n_jobs)(
        delayed(_replicate)(design, b, r, seq, X_test, y_test, probe_set) for b, r, seq in tasks
    )
    frame = pd.DataFrame([row for rows in out for row in rows])
    return frame.sort_values(["block", "rep", "pool"], kind="stable", ignore_index=True)
