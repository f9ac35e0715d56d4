"""Small real classification data sets that ship offline (used by the data-pruning workbook).

Sorscher et al. (2022, arXiv 2206.14486) prune ResNet training sets of CIFAR-10, SVHN and
ImageNet; none of those ship with a package, so the workbook runs the same protocol on:

* ``digits``: scikit-learn's bundled ``load_digits`` (1,797 8x8 images, 10 classes);
* ``mnist1d``: MNIST-1D generated locally with ``mnist1d.data.make_dataset`` (never the
  downloading loader), 40-dimensional sequences, 10 classes.

Neither touches the network, so they are not registry files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["REAL_DATASETS", "RealData", "load_real"]

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
        The generator reseeds numpy's global RNG; its state is restored afterwards.

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
        from mnist1d.data import get_dataset_args, make_dataset

        args = get_dataset_args()
        args.num_samples = int(mnist1d_samples)
        state = np.random.get_state()  # noqa: NPY002  (make_dataset reseeds the global RNG)
        try:
            ds = make_dataset(args)
        finally:
            np.random.set_state(state)  # noqa: NPY002
        Xtr, ytr, Xte, yte = ds["x"], ds["y"], ds["x_test"], ds["y_test"]
    else:
        raise ValueError(f"load_real: parameter name must be 'digits' or 'mnist1d', got {name!r}")
    mu, sd = Xtr.mean(0), Xtr.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return RealData(name, (Xtr - mu) / sd, np.asarray(ytr), (Xte - mu) / sd, np.asarray(yte))
