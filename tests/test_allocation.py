"""Compute-optimal allocation owned by the laws: closed forms against a numeric minimum."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from scalingkit.laws import (
    AdditiveMixtureLaw,
    Allocation,
    ChinchillaLaw,
    KaplanLaw,
    TranslatedKaplanLaw,
)

HOFFMANN = {"A": 406.4, "B": 410.7, "E": 1.69, "alpha": 0.34, "beta": 0.28}
KAPLAN = {"A": 6.8e7, "B": 9.3e8, "E": 2.17, "alpha": 0.41, "beta": 0.45}
BUDGETS = np.array([1e18, 1e20, 5.76e23, 1e26])


def _numeric_optimum(law, theta, C):
    """argmin over log N of L(N, C / (6N)), by a bounded scalar search to ~1e-12 in log N."""

    def f(log_n):
        n = np.exp(log_n)
        return float(law.predict(theta, {"params": [n], "tokens": [C / (6.0 * n)]})[0])

    r = minimize_scalar(f, bounds=(np.log(1e3), np.log(C / 6.0 / 1e3)), method="bounded",
                        options={"xatol": 1e-12})  # fmt: skip
    n = float(np.exp(r.x))
    return n, C / (6.0 * n), float(r.fun)


@pytest.mark.parametrize(("law", "params"), [(ChinchillaLaw(), HOFFMANN), (KaplanLaw(), KAPLAN)])
def test_closed_form_matches_numeric_minimum(law, params):
    alloc = law.compute_optimal(params, BUDGETS)
    assert isinstance(alloc, Allocation) and alloc.n_opt.shape == BUDGETS.shape
    theta = law.from_natural(**params)
    for j, C in enumerate(BUDGETS):
        n, d, loss = _numeric_optimum(law, theta, C)
        assert alloc.n_opt[j] == pytest.approx(n, rel=1e-5)
        assert alloc.d_opt[j] == pytest.approx(d, rel=1e-5)
        # the closed form is at least as low as the numeric search (it is the exact minimum)
        assert alloc.loss_opt[j] <= loss * (1 + 1e-12)
        assert alloc.loss_opt[j] == pytest.approx(loss, rel=1e-10)
    np.testing.assert_allclose(alloc.d_opt * alloc.n_opt * 6.0, BUDGETS, rtol=1e-12)
    np.testing.assert_allclose(alloc.tokens_per_param, alloc.d_opt / alloc.n_opt, rtol=0)


def test_chinchilla_closed_form_is_hoffmann_eq4():
    A, B, al, be = (HOFFMANN[k] for k in ("A", "B", "alpha", "beta"))
    G = (al * A / (be * B)) ** (1 / (al + be))
    alloc = ChinchillaLaw().compute_optimal(HOFFMANN, 5.76e23)
    assert alloc.n_opt == pytest.approx(G * (5.76e23 / 6) ** (be / (al + be)), rel=1e-14)
    assert alloc.d_opt == pytest.approx((5.76e23 / 6) ** (al / (al + be)) / G, rel=1e-14)
    a, b = ChinchillaLaw().exponents(HOFFMANN)
    assert a == pytest.approx(be / (al + be)) and a + b == pytest.approx(1.0)


def test_exponents_are_the_slopes_of_the_allocation():
    for law, params in ((ChinchillaLaw(), HOFFMANN), (KaplanLaw(), KAPLAN)):
        alloc = law.compute_optimal(params, BUDGETS)
        a, b = law.exponents(params)
        slope_n = np.diff(np.log(alloc.n_opt)) / np.diff(np.log(BUDGETS))
        slope_d = np.diff(np.log(alloc.d_opt)) / np.diff(np.log(BUDGETS))
        np.testing.assert_allclose(slope_n, a, rtol=1e-10)
        np.testing.assert_allclose(slope_d, b, rtol=1e-10)


@pytest.mark.parametrize("law", [ChinchillaLaw(), KaplanLaw()])
def test_bootstrap_draws_broadcast_and_bad_draws_are_nan(law):
    draws = {k: np.full((4, 1), v, dtype=float) for k, v in HOFFMANN.items()}
    draws["alpha"][1] = -0.1  # no interior optimum
    draws["beta"][2] = 0.0
    draws["A"][3] = np.nan
    alloc = law.compute_optimal(draws, BUDGETS[None, :])
    assert alloc.n_opt.shape == (4, 4) and alloc.compute.shape == (4, 4)
    good = law.compute_optimal(HOFFMANN, BUDGETS)
    np.testing.assert_array_equal(alloc.n_opt[0], good.n_opt)
    for field in Allocation.keys()[1:]:
        assert np.isnan(alloc[field][1:]).all(), field
    a, _ = law.exponents(draws)
    assert np.isfinite(a[0, 0]) and np.isnan(a[1:, 0]).all()


def test_translated_kaplan_matches_numeric_minimum_and_source_allocation():
    source = KaplanLaw.from_natural(**KAPLAN)
    law = TranslatedKaplanLaw(source)
    params = {"E1": 1.1, "K": 1.7, "kappa": 0.9}
    alloc = law.compute_optimal(params, BUDGETS)
    theta = np.array([np.log(1.1), np.log(1.7), 0.9])
    for j, C in enumerate(BUDGETS):
        n, _, loss = _numeric_optimum(law, theta, C)
        assert alloc.n_opt[j] == pytest.approx(n, rel=1e-5)
        assert alloc.loss_opt[j] == pytest.approx(loss, rel=1e-10)
    # same A, B, α/β as the source: the same compute-optimal model size
    src = KaplanLaw().compute_optimal(KAPLAN, BUDGETS)
    np.testing.assert_allclose(alloc.n_opt, src.n_opt, rtol=1e-12)
    # as a Kaplan law in natural parameters it predicts the same losses
    kp = law.kaplan_params(params)
    X = {"params": np.array([1e8, 3e9]), "tokens": np.array([2e9, 7e10])}
    np.testing.assert_allclose(
        KaplanLaw().predict(KaplanLaw.from_natural(**kp), X), law.predict(theta, X), rtol=1e-12
    )
    assert np.isnan(law.compute_optimal({"E1": 1.1, "K": 1.7, "kappa": -0.5}, 1e21).n_opt)


def test_allocation_exports_and_errors():
    alloc = ChinchillaLaw().compute_optimal(HOFFMANN, BUDGETS)
    fr = alloc.to_frame()
    assert list(fr.columns) == ["compute", "n_opt", "d_opt", "tokens_per_param", "loss_opt"]
    assert len(fr) == 4 and alloc.to_dict()["n_opt"] is alloc.n_opt
    with pytest.raises(KeyError, match="no field 'nope'"):
        alloc["nope"]
    with pytest.raises(ValueError, match="1-D"):
        ChinchillaLaw().compute_optimal(
            {k: np.full((2, 1), v) for k, v in HOFFMANN.items()}, BUDGETS
        ).to_frame()
    with pytest.raises(KeyError, match="lack beta"):
        ChinchillaLaw().compute_optimal({k: v for k, v in HOFFMANN.items() if k != "beta"}, 1e20)
    with pytest.raises(TypeError, match="mapping of natural parameters"):
        ChinchillaLaw().compute_optimal(np.ones(5), 1e20)
    with pytest.raises(ValueError, match="compute must be finite FLOP counts > 0"):
        KaplanLaw().compute_optimal(KAPLAN, [1e20, -1.0])
    with pytest.raises(NotImplementedError, match="no closed-form"):
        AdditiveMixtureLaw(3).compute_optimal({}, 1e20)
