"""Law presets: each paper's grid, objective and tolerances as data, and the start helpers."""

from __future__ import annotations

import numpy as np
import pytest

from scalingkit import fit
from scalingkit.laws import (
    AdditiveMixtureLaw,
    ChinchillaLaw,
    DataMixingLaw,
    KaplanLaw,
    TranslatedKaplanLaw,
)
from scalingkit.workbooks.chinchilla_replication import reference as ref

#: The authors' 16 starts (Brandfonbrener et al. 2024, curve_fitting.ipynb): a meshgrid of
#: log A, log B in {5, 10, 15, 20}, log E = 0.5, alpha = beta = 0.4, rows (log A, log B) row-major.
KAPLAN_STARTS = np.array(
    [[a, b, 0.5, 0.4, 0.4] for a in (5.0, 10.0, 15.0, 20.0) for b in (5.0, 10.0, 15.0, 20.0)]
)


def test_registry_names_and_lookup():
    assert {"chinchilla", "kaplan", "translated_kaplan", "mixture_additive", "shukor2025"} <= set(
        fit.PRESETS
    )
    assert fit.get_preset("Chinchilla") is fit.PRESETS["chinchilla"]
    assert fit.get_preset(" KAPLAN ") is fit.PRESETS["kaplan"]
    assert fit.get_preset("translated-kaplan") is fit.PRESETS["translated_kaplan"]
    p = fit.PRESETS["kaplan"]
    assert fit.get_preset(p) is p
    with pytest.raises(ValueError, match=r"unknown preset 'hoffman'; presets: chinchilla, kaplan"):
        fit.get_preset("hoffman")


def test_chinchilla_preset_is_besiroglus_grid_in_the_notebook_order():
    p = fit.get_preset("chinchilla")
    law = p.make_law()
    assert isinstance(law, ChinchillaLaw)
    g = ref.paper_grid()  # (a, b, e, alpha, beta) in the notebook's loop order
    np.testing.assert_array_equal(p.starts(law), g)  # 4500 starts
    # quick: every other value of each axis (243 starts), in the same order
    keep = np.ones(len(g), bool)
    for j, values in enumerate(([0, 10, 20], [0, 10, 20], [-1, 0, 1], [0, 1, 2], [0, 1, 2])):
        keep &= np.isin(g[:, j], values)
    np.testing.assert_array_equal(p.starts(law, "quick"), g[keep])
    assert p.starts(law).shape == (4500, 5) and p.starts(law, "quick").shape == (243, 5)
    assert p.objective == fit.ObjectiveSpec("log", "huber", 1e-3, "sum")
    assert (p.method, p.bootstrap_method) == ("L-BFGS-B", "BFGS")
    assert p.tolerances == {}
    assert "2404.10102" in p.citation and p.objective.formula().startswith("sum_i Huber_δ(log")


def test_kaplan_preset_is_the_authors_16_starts_with_the_workbook_tolerances():
    p = fit.get_preset("kaplan")
    law = p.make_law()
    np.testing.assert_array_equal(p.starts(law), KAPLAN_STARTS)
    np.testing.assert_array_equal(p.starts(law, "quick"), KAPLAN_STARTS)
    assert p.objective.reduction == "mean" and p.tolerances == {"gtol": 1e-10, "ftol": 1e-13}
    opts = p.fit_options()
    assert opts == {
        "objective": fit.ObjectiveSpec("log", "huber", 1e-3, "mean"),
        "method": "L-BFGS-B",
        "bootstrap_method": "BFGS",
        "gtol": 1e-10,
        "ftol": 1e-13,
    }


def test_grid_overrides_and_order():
    p = fit.get_preset("chinchilla")
    law = ChinchillaLaw()
    g = p.starts(law, grid={"alpha": [0.3], "beta": [0.3]})
    assert g.shape == (5 * 6 * 6, 5) and np.all(g[:, 3:] == 0.3)
    # the user-fit order (param_names) holds the same rows in another order
    by_names = p.starts(law, order=law.param_names)
    assert not np.array_equal(by_names, p.starts(law))
    np.testing.assert_array_equal(np.unique(by_names, axis=0), np.unique(p.starts(law), axis=0))
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['gamma'\]"):
        p.starts(law, grid={"gamma": [1.0]})
    with pytest.raises(ValueError, match="mode: expected 'paper' or 'quick'"):
        p.starts(law, "fast")


def test_translated_and_random_start_presets():
    t = fit.get_preset("translated_kaplan")
    law = t.make_law(KaplanLaw.from_natural(A=6.8e7, B=9.3e8, E=2.17, alpha=0.41, beta=0.45))
    assert isinstance(law, TranslatedKaplanLaw) and t.starts(law).shape == (36, 3)
    # the loss-to-loss workbook's grid: e1 x k x kappa, e1 slowest
    grid = np.array(
        [
            [e, k, q]
            for e in (-1.0, 0.0, 0.5, 1.0)
            for k in (-0.5, 0.0, 0.5)
            for q in (0.8, 1.0, 1.2)
        ]
    )
    np.testing.assert_array_equal(t.starts(law), grid)
    m = fit.get_preset("mixture_additive")
    add = m.make_law(3)
    assert isinstance(add, AdditiveMixtureLaw)
    np.testing.assert_array_equal(m.starts(add, seed=5), fit.random_starts(add, 24, seed=5))
    assert m.starts(add, "quick", seed=5).shape == (8, 11)
    assert m.fit_options(add)["bounds"] == add.bounds() and m.maxiter == 5000
    s = fit.get_preset("shukor2025")
    assert s.objective == fit.ObjectiveSpec("linear", "huber", 1e-3, "mean")
    # the mixture presets are the data-mixtures workbook's paper protocol
    from scalingkit.workbooks.data_mixtures import MODE_DEFAULTS, paper_fit, protocol

    j = fit.get_preset("mixture_joint")
    jl = j.make_law(3)
    for p in (m, j, s):
        assert p.fit_options(p.make_law(7))["objective"] == protocol.OBJECTIVES["paper"][1]
        assert (p.gtol, p.ftol, p.maxiter) == (paper_fit.GTOL, paper_fit.FTOL, paper_fit.MAXITER)
    assert (m.n_random_starts, m.quick_random_starts) == (
        MODE_DEFAULTS["full"]["n_starts"],
        MODE_DEFAULTS["quick"]["n_starts"],
    )
    assert (j.n_random_starts, j.quick_random_starts) == (
        MODE_DEFAULTS["full"]["n_joint_starts"],
        MODE_DEFAULTS["quick"]["n_joint_starts"],
    )
    assert j.fit_options(jl)["bounds"] == paper_fit.fit_bounds(jl) != jl.bounds()
    dml = fit.get_preset("data_mixing_law").make_law(3)
    assert isinstance(dml, DataMixingLaw) and fit.get_preset("data_mixing_law").starts(
        dml, seed=0
    ).shape == (4, 5)
    with pytest.raises(ValueError, match="no grid"):
        m.starts(add, grid={"e": [0.0]})
    with pytest.raises(ValueError, match="exactly one of paper_grid, n_random_starts"):
        fit.LawPreset(name="x", law_factory=ChinchillaLaw, formula="", citation="")
    with pytest.raises(TypeError, match="objective must be an ObjectiveSpec"):
        fit.LawPreset(name="x", law_factory=ChinchillaLaw, formula="", citation="",
                      n_random_starts=3, objective={"huber_delta": 0.0})  # fmt: skip


def test_a_preset_drives_a_fit():
    """The kaplan preset's options reproduce the loss-to-loss workbook's call exactly."""
    rng = np.random.default_rng(0)
    law = KaplanLaw()
    theta = law.from_natural(A=6.8e7, B=9.3e8, E=2.17, alpha=0.41, beta=0.45)
    X = {"params": 10 ** rng.uniform(7, 9.5, 40), "tokens": 10 ** rng.uniform(9, 11, 40)}
    y = law.predict(theta, X) * np.exp(rng.normal(0, 0.01, 40))
    p = fit.get_preset("kaplan")
    a = fit.fit_multistart(law, X, y, p.starts(law), **p.fit_options())
    spec = fit.ObjectiveSpec(huber_delta=1e-3, reduction="mean")
    b = fit.fit_multistart(law, X, y, KAPLAN_STARTS, objective=spec, method="L-BFGS-B",
                           gtol=1e-10, ftol=1e-13)  # fmt: skip
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.converged and a.params["E"] == pytest.approx(2.17, rel=0.05)


def test_random_starts_helper():
    law = AdditiveMixtureLaw(2)
    lo, hi = law.start_box()
    s = fit.random_starts(law, 50, seed=3)
    assert s.shape == (50, law.n_params) and np.all((s >= lo) & (s <= hi))
    np.testing.assert_array_equal(s, lo + (hi - lo) * np.random.default_rng(3).random((50, 9)))
    box = fit.random_starts(ChinchillaLaw(), 4, 1, low=dict.fromkeys("abe", 0.0) | {"alpha": 0.1,
                            "beta": 0.1}, high=[1, 1, 1, 0.5, 0.5])  # fmt: skip
    assert box.shape == (4, 5) and np.all(box[:, 3:] <= 0.5)
    with pytest.raises(ValueError, match="no start_box"):
        fit.random_starts(ChinchillaLaw(), 4)
    with pytest.raises(ValueError, match="n must be >= 1"):
        fit.random_starts(law, 0)
