r"""The real-data model: fixed random 1-D convolution features and a ridge classifier.

A cheap stand-in for the paper's ResNets (Sorscher et al. 2022, arXiv 2206.14486) that still
learns MNIST-1D well enough to leave the data-scarce regime: test error falls from about one
half at a hundred examples to a few percent at tens of thousands.

* :class:`ConvFeatures`: ``n_filters`` random filters of width ``width``, applied circularly
  (MNIST-1D digits are circularly translated), ReLU, then average-pooled over ``n_bins``
  equal bins of positions (or max-pooled over all of them),

  .. math:: \phi_{k,b}(x) = \frac{1}{|B_b|}\sum_{t\in B_b}
            \max\Big(0,\ \sum_{j<w} W_{kj}\,x_{(t+j) \bmod L} + c_k\Big),

  with :math:`W_{kj} \sim \mathcal N(0, 1/w)` and :math:`c_k \sim \mathcal N(0, 1/4)` drawn once
  from a seed (random features in the sense of Rahimi & Recht 2007, here convolutional);
* :func:`ridge_fit`: one-vs-rest ridge regression on :math:`\pm 1` targets with an intercept,
  :math:`\hat W = (\Phi_c^\top\Phi_c + \lambda I)^{-1}\Phi_c^\top Y_c` (centred features and
  targets), solved in the dual :math:`\hat W = \Phi_c^\top(\Phi_c\Phi_c^\top + \lambda I)^{-1}Y_c`
  when there are fewer examples than features. The class is the largest score.

The ridge has a closed form, so there is no training schedule: the paper's choice between a
fixed number of epochs and a fixed number of steps does not arise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ConvFeatures", "RidgeHead", "margins", "ridge_fit"]

#: Digit classes of MNIST-1D.
N_CLASSES = 10


@dataclass(frozen=True)
class ConvFeatures:
    """Fixed random circular 1-D convolution features (see the module docstring).

    Parameters
    ----------
    n_filters, width : int
        Number and width of the random filters.
    n_bins : int
        Average-pool the positions into this many equal bins (the sequence length must be a
        multiple of it); ignored with ``pooling="max"``.
    pooling : {"mean", "max"}
        ``"mean"``: average over each bin (``n_filters * n_bins`` features, position-aware);
        ``"max"``: maximum over all positions (``n_filters`` features, translation-invariant).
    seed : int
        Seed of the filters and offsets.
    """

    n_filters: int = 256
    width: int = 9
    n_bins: int = 4
    pooling: str = "mean"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.pooling not in ("mean", "max"):
            raise ValueError(
                f"ConvFeatures: parameter pooling must be 'mean' or 'max', got {self.pooling!r}"
            )
        for name in ("n_filters", "width", "n_bins"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"ConvFeatures: parameter {name} must be >= 1")

    def filters(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, c)``: filters of shape ``(width, n_filters)`` and offsets ``(n_filters,)``."""
        rng = np.random.default_rng(self.seed)
        W = rng.standard_normal((self.width, self.n_filters)) / np.sqrt(self.width)
        return W.astype(np.float32), (0.5 * rng.standard_normal(self.n_filters)).astype(np.float32)

    @property
    def n_features(self) -> int:
        return self.n_filters * (self.n_bins if self.pooling == "mean" else 1)

    def transform(self, X: np.ndarray, *, batch: int = 2048) -> np.ndarray:
        """Features of ``X`` (n, L) as a float32 array (n, :attr:`n_features`)."""
        X = np.asarray(X, dtype=np.float32)
        n, L = X.shape
        if self.pooling == "mean" and L % self.n_bins:
            raise ValueError(
                f"ConvFeatures: sequence length {L} is not a multiple of n_bins={self.n_bins}"
            )
        W, c = self.filters()
        out = np.empty((n, self.n_features), dtype=np.float32)
        for s in range(0, n, batch):
            xb = X[s : s + batch]
            wrapped = np.concatenate([xb, xb[:, : self.width - 1]], axis=1)
            patches = np.lib.stride_tricks.sliding_window_view(wrapped, self.width, axis=1)
            H = np.maximum(patches @ W + c, 0.0)  # (b, L, n_filters)
            if self.pooling == "max":
                out[s : s + batch] = H.max(axis=1)
            else:
                H = H.reshape(len(xb), self.n_bins, L // self.n_bins, self.n_filters)
                out[s : s + batch] = H.mean(axis=2).reshape(len(xb), -1)
        return out


@dataclass(frozen=True)
class RidgeHead:
    """A fitted linear classifier: scores ``F @ coef + intercept``, class = arg max."""

    coef: np.ndarray
    intercept: np.ndarray

    def decision_function(self, F: np.ndarray) -> np.ndarray:
        return np.asarray(F, dtype=np.float64) @ self.coef + self.intercept

    def error(self, F: np.ndarray, y: np.ndarray) -> float:
        """Misclassification rate on ``(F, y)``."""
        return float(np.mean(self.decision_function(F).argmax(axis=1) != np.asarray(y)))


def _normal_equations(
    F: np.ndarray, mu: np.ndarray, Yc: np.ndarray, *, chunk: int = 8192
) -> tuple[np.ndarray, np.ndarray]:
    """``(Fc.T @ Fc, Fc.T @ Yc)`` for ``Fc = F - mu``, accumulated in float64 over row chunks
    (the features may be float32; no float64 copy of the whole array is made)."""
    d = F.shape[1]
    G, B = np.zeros((d, d)), np.zeros((d, Yc.shape[1]))
    for s in range(0, len(F), chunk):
        part = F[s : s + chunk].astype(np.float64) - mu
        G += part.T @ part
        B += part.T @ Yc[s : s + chunk]
    return G, B


def ridge_fit(F: np.ndarray, y: np.ndarray, alpha: float = 1.0) -> RidgeHead:
    r"""One-vs-rest ridge classifier on features ``F`` (n, d) and labels ``y`` in 0..9.

    Targets are :math:`+1` for the label and :math:`-1` otherwise; features and targets are
    centred, so the intercept is not penalised. The primal normal equations are solved when
    ``n >= d``, the dual ones otherwise (the same solution), in float64.
    """
    y = np.asarray(y)
    if len(y) < 2:
        raise ValueError(f"ridge_fit: need at least 2 examples, got {len(y)}")
    Y = -np.ones((len(y), N_CLASSES))
    Y[np.arange(len(y)), y] = 1.0
    mu = F.mean(axis=0, dtype=np.float64)
    y_mean = Y.mean(axis=0)
    Yc = Y - y_mean
    n, d = F.shape
    if n < d:
        Fc = F.astype(np.float64) - mu
        K = Fc @ Fc.T
        K[np.diag_indices_from(K)] += alpha
        coef = Fc.T @ np.linalg.solve(K, Yc)
    else:
        G, B = _normal_equations(F, mu, Yc)
        G[np.diag_indices_from(G)] += alpha
        coef = np.linalg.solve(G, B)
    return RidgeHead(coef, y_mean - mu @ coef)


def margins(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Margin of each example: its label's score minus the best other class's score."""
    s = np.array(scores, dtype=np.float64)
    rows = np.arange(len(y))
    own = s[rows, y].copy()
    s[rows, y] = -np.inf
    return own - s.max(axis=1)
