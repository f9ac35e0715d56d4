"""Small real classification data sets that ship offline (used by the data-pruning workbook).

Sorscher et al. (2022, arXiv 2206.14486) prune ResNet training sets of CIFAR-10, SVHN and
ImageNet; none of those ship with a package, so the workbook runs the same protocol on:

* ``digits``: scikit-learn's bundled ``load_digits`` (1,797 8x8 images, 10 classes);
* ``mnist1d``: MNIST-1D (Greydanus 2020) generated locally with ``mnist1d.data.make_dataset``
  (never the downloading loader), 40-dimensional sequences, 10 classes. Its generator makes as
  many samples as asked for: :func:`load_mnist1d` draws ``n_samples`` of them from a seed.

Neither touches the network, so they are not registry files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from numbers import Integral

import numpy as np

__all__ = ["MNIST1D_LENGTH", "REAL_DATASETS", "RealData", "load_mnist1d", "load_real"]

#: Length of an MNIST-1D sequence (the generator's ``final_seq_length``).
MNIST1D_LENGTH = 40

#: Names accepted by :func:`load_real`.
REAL_DATASETS = ("digits", "mnist1d")


@dataclass(frozen=True)
class RealData:
    """A train pool and a fixed test set (standardised with train-pool statistics)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def load_real(name: str, *, n_test: int = 500, mnist1d_samples: int = 6000) -> RealData:
    r"""Load ``"digits"`` (sklearn bundled) or ``"mnist1d"`` (generated locally, seed 42).

    Features are standardised with the train pool's mean and standard deviation,
    :math:`x \mapsto (x - \mu_{train}) / \sigma_{train}` (σ = 1 for constant features).

    Parameters
    ----------
    name : {"digits", "mnist1d"}
    n_test : int
        Test-set size for digits (the last ``n_test`` images after a fixed shuffle,
        ``default_rng(20220628)``).
    mnist1d_samples : int
        Total MNIST-1D samples to generate (80 % train pool, 20 % test, the package's split).
        The generator reseeds the global RNGs; their states are restored afterwards.

    Returns
    -------
    RealData
    """
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        perm = np.random.default_rng(20220628).permutation(len(y))
        X, y = X[perm].astype(float), y[perm]
        Xtr, ytr, Xte, yte = X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]
    elif name == "mnist1d":
        ds = _make_mnist1d(int(mnist1d_samples), 42, train_split=0.8)
        Xtr, ytr, Xte, yte = ds["x"], ds["y"], ds["x_test"], ds["y_test"]
    else:
        raise ValueError(f"load_real: parameter name must be 'digits' or 'mnist1d', got {name!r}")
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return RealData(name, (Xtr - mu) / sd, np.asarray(ytr), (Xte - mu) / sd, np.asarray(yte))


def _make_mnist1d(num_samples: int, seed: int, *, train_split: float) -> dict:
    """``mnist1d.data.make_dataset`` with ``num_samples`` and ``seed``, leaving the caller's
    global RNGs as they were (the generator calls ``random.seed`` and ``np.random.seed``)."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed, args.train_split = num_samples, seed, train_split
    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        return make_dataset(args)
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)


def load_mnist1d(n_samples: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    r"""Generate ``n_samples`` MNIST-1D sequences with the generator's default settings.

    ``mnist1d.data.make_dataset`` draws ``num_samples // 10`` examples of each digit from its
    template (padding, dilation, scaling, circular translation, correlated and i.i.d. noise,
    shear, resampling to 40 points), shuffles them and standardises the whole array with one
    scalar, :math:`x \mapsto (x - \bar x) / s_x`. We ask for ``n_samples`` rounded up to a
    multiple of 10 and return the first ``n_samples`` of the shuffled draw: exactly balanced
    classes when ``n_samples`` is a multiple of 10, nearly balanced otherwise. The generator loops in Python (about 0.3 ms per
    sample).

    Parameters
    ----------
    n_samples : int
        Number of sequences (>= 1).
    seed : int
        Seed of the generator (0 <= seed < 2**32). The same ``(n_samples, seed)`` always gives
        the same data; a different ``n_samples`` gives different samples, not a prefix (the
        generator draws class by class). The caller's global ``random`` and ``numpy.random``
        states are restored afterwards.

    Returns
    -------
    X : ndarray of shape (n_samples, 40)
    y : ndarray of int, shape (n_samples,)
        Digit labels 0-9.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(
            f"load_mnist1d: parameter n_samples must be an int >= 1, got {n_samples!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= seed < 2**32:
        raise ValueError(f"load_mnist1d: parameter seed must be an int in [0, 2**32), got {seed!r}")
    n = int(n_samples)
    ds = _make_mnist1d(-(-n // 10) * 10, int(seed), train_split=1.0)
    return np.asarray(ds["x"][:n], dtype=float), np.asarray(ds["y"][:n], dtype=np.int64)
