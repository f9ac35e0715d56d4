r"""Pruning metrics on real data and the selection of what to keep.

Every metric returns a *difficulty* per example of the pool (larger = harder); keep-hard keeps
the fraction ``f`` with the largest difficulty, keep-easy the smallest (Sorscher et al. 2022,
arXiv 2206.14486: "with abundant (scarce) initial data, one should retain only hard (easy)
examples", Sec. 1, quoted second-hand).

* ``random``: i.i.d. uniform scores. Random pruning keeps a uniformly random subset, which is
  distributed like an unpruned pool of the kept size: the baseline every metric is compared to.
* ``margin`` (supervised): the margin (own-class score minus best other) of the real-data model
  itself (:mod:`.conv_model`), **cross-fitted** over ``n_folds`` folds of the pool: each example
  is scored by a probe trained on the other folds, never by one that saw it. Small margin =
  hard. Our variant: without cross-fitting, a ridge fitted on few examples interpolates them and
  every training margin looks alike.
* ``el2n`` (supervised): EL2N as Paul, Ganguli & Dziugaite (2021, arXiv 2107.07075, Sec. 2.2,
  Definition 2.3) define it, :math:`\mathbb E\,\lVert p(w_t, x) - y\rVert_2` (softmax output
  minus one-hot label) early in training, averaged over independent runs (their Sec. 3: ten).
  The probe is trained on the pool itself, as theirs is; here it is a softmax-linear head on the
  model's standardised features trained by minibatch SGD for ``epochs`` epochs, not a network.
* ``prototype`` (self-supervised): the paper's prototype metric in spirit: embed the pool
  without labels, cluster it with k-means, and score each example by its cosine *distance* to
  the nearest centroid, :math:`1 - \max_k \cos(z, c_k)` (easy = close to a prototype; the
  authors' released scores use cosine similarity, reversed so that a high score means keep:
  README of rgeirhos/dataset-pruning-metrics). The paper's embedding is a self-supervised
  ResNet; ours is the maximum over positions of random convolution features (translation
  invariant, no labels), standardised, reduced by PCA and L2-normalised.
* ``heldout margin`` (:func:`heldout_margin_scores`, our sensitivity analysis): the margin of a
  ridge probe trained on a separate labelled set, so that the metric's quality does not depend
  on the pool's size, like the theory's probe.
"""

from __future__ import annotations

import numpy as np

from .conv_model import N_CLASSES, margins, ridge_fit

__all__ = [
    "METRICS",
    "el2n_scores",
    "heldout_margin_scores",
    "margin_scores",
    "prototype_scores",
    "random_scores",
    "select",
]

#: Pruning metrics of the real-data study (difficulty: larger = harder).
METRICS = ("random", "margin", "el2n", "prototype")


def random_scores(n: int, rng: np.random.Generator) -> np.ndarray:
    """I.i.d. uniform scores: random pruning."""
    return rng.random(n)


def margin_scores(
    F: np.ndarray, y: np.ndarray, rng: np.random.Generator, *, alpha: float = 1.0, n_folds: int = 2
) -> np.ndarray:
    """Cross-fitted difficulty ``-margin``: each fold is scored by a ridge fitted on the others.

    Returns the difficulty and never scores an example with a probe that saw it.
    """
    if n_folds < 2:
        raise ValueError(f"margin_scores: parameter n_folds must be >= 2, got {n_folds}")
    folds = rng.permutation(len(y)) % n_folds
    out = np.empty(len(y))
    for k in range(n_folds):
        test = folds == k
        probe = ridge_fit(F[~test], y[~test], alpha)
        out[test] = -margins(probe.decision_function(F[test]), y[test])
    return out


def heldout_margin_scores(
    F: np.ndarray, y: np.ndarray, F_probe: np.ndarray, y_probe: np.ndarray, *, alpha: float = 1.0
) -> np.ndarray:
    """Difficulty ``-margin`` from one ridge probe trained on a separate labelled set."""
    probe = ridge_fit(F_probe, y_probe, alpha)
    return -margins(probe.decision_function(F), y)


def el2n_scores(
    F: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    *,
    epochs: int = 20,
    n_runs: int = 4,
    batch: int = 128,
    lr: float = 0.05,
) -> np.ndarray:
    r"""EL2N difficulty :math:`\frac1R\sum_r \lVert \mathrm{softmax}(z W_r + b_r) - e_y\rVert_2`.

    ``n_runs`` softmax-linear probes on the standardised features ``z`` (pool statistics), each
    from its own small random start and its own order of minibatches, trained together by
    minibatch SGD (cross-entropy, ``batch``, learning rate ``lr``) for ``epochs`` passes over
    the pool, the pool they then score.
    """
    n, d = F.shape
    Z = (F - F.mean(axis=0)) / (F.std(axis=0) + 1e-6)
    Z = Z.astype(np.float32)
    onehot = np.eye(N_CLASSES, dtype=np.float32)[y]
    W = (0.01 / np.sqrt(d) * rng.standard_normal((n_runs, d, N_CLASSES))).astype(np.float32)
    b = np.zeros((n_runs, 1, N_CLASSES), dtype=np.float32)

    def softmax(logits: np.ndarray) -> np.ndarray:
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    for _ in range(epochs):
        order = rng.permuted(np.broadcast_to(np.arange(n), (n_runs, n)), axis=1)
        for s in range(0, n, batch):
            idx = order[:, s : s + batch]  # (R, m)
            Zb = Z[idx]  # (R, m, d)
            G = (softmax(Zb @ W + b) - onehot[idx]) / idx.shape[1]
            W -= lr * (Zb.transpose(0, 2, 1) @ G)
            b -= lr * G.sum(axis=1, keepdims=True)
    P = softmax(Z[None] @ W + b)  # (R, n, C)
    return np.linalg.norm(P - onehot[None], axis=-1).mean(axis=0).astype(np.float64)


def prototype_scores(
    E: np.ndarray,
    rng: np.random.Generator,
    *,
    n_clusters: int = 30,
    n_components: int = 32,
) -> np.ndarray:
    r"""Self-supervised prototype difficulty :math:`1 - \max_k \cos(z_i, c_k)`.

    ``E`` is an unsupervised embedding of the pool (no labels); it is standardised, reduced to
    ``n_components`` principal components and L2-normalised to ``z``; k-means (``n_clusters``
    centroids, one initialisation) on ``z`` gives the prototypes ``c_k``.
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    n = len(E)
    if n <= n_clusters:
        raise ValueError(
            f"prototype_scores: need more examples than n_clusters={n_clusters}, got {n}"
        )
    Z = (E - E.mean(axis=0)) / (E.std(axis=0) + 1e-6)
    k = min(n_components, Z.shape[1], n - 1)
    Z = PCA(k, random_state=int(rng.integers(2**31))).fit_transform(Z.astype(np.float64))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True) + 1e-12
    km = KMeans(n_clusters, n_init=1, random_state=int(rng.integers(2**31))).fit(Z)
    C = km.cluster_centers_ / (np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True) + 1e-12)
    return 1.0 - (Z @ C.T).max(axis=1)


def select(
    difficulty: np.ndarray,
    f: float,
    strategy: str,
    y: np.ndarray | None = None,
    *,
    balanced: bool = False,
) -> np.ndarray:
    """Indices of the examples kept at fraction ``f`` by ``strategy`` ("hard" or "easy").

    ``round(f * n)`` examples with the largest (hard) or smallest (easy) difficulty, ties broken
    by position. ``balanced=True`` keeps ``round(f * n_c)`` of each class ``c`` instead (labels
    ``y`` required): the class shares of the pool are preserved.
    """
    if strategy not in ("hard", "easy"):
        raise ValueError(f"select: parameter strategy must be 'hard' or 'easy', got {strategy!r}")
    if not 0.0 < f <= 1.0:
        raise ValueError(f"select: parameter f must be in (0, 1], got {f}")
    order = np.argsort(difficulty, kind="stable")
    if strategy == "hard":
        order = order[::-1]
    if not balanced:
        return np.sort(order[: round(f * len(order))])
    if y is None:
        raise ValueError("select: balanced selection needs the labels y")
    y = np.asarray(y)
    kept = [order[y[order] == c][: round(f * np.sum(y == c))] for c in np.unique(y)]
    return np.sort(np.concatenate(kept))
