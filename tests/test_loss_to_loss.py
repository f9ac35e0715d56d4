"""Loss-to-loss workbook: Kaplan law, shifted power law, pairing, families, translation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scalingkit import data, fit
from scalingkit.data import corpora
from scalingkit.errors import ParameterError
from scalingkit.laws import KaplanLaw, ShiftedPowerLaw, TranslatedKaplanLaw
from scalingkit.workbooks import loss_to_loss as l2l

# A plausible law (close to the authors' FineWeb fit) and a grid of (N, D).
TRUE = {"A": 6.8e7, "B": 9.3e8, "E": 2.17, "alpha": 0.41, "beta": 0.45}


def _grid(n: int = 40, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "params": 10 ** rng.uniform(7.5, 9.5, n),
        "tokens": 10 ** rng.uniform(8.5, 11.0, n),
    }


def _assert_gradient_is_the_central_difference(law, theta, X, atol: float) -> None:
    """Each column of ``log_predict_grad``'s Jacobian against a central difference (h = 1e-6)."""
    _, J = law.log_predict_grad(theta, X)
    eps = 1e-6
    for p in range(theta.shape[1]):
        step = np.zeros(theta.shape[1])
        step[p] = eps
        fd = (law.log_predict(theta + step, X) - law.log_predict(theta - step, X)) / (2 * eps)
        np.testing.assert_allclose(J[:, :, p], fd, rtol=1e-6, atol=atol, err_msg=f"param {p}")


# ---------------------------------------------------------------------------------------------
# KaplanLaw


def test_kaplan_value_matches_formula() -> None:
    law = KaplanLaw()
    X = _grid()
    theta = law.from_natural(**TRUE)
    A, B, E, a, b = (TRUE[k] for k in ("A", "B", "E", "alpha", "beta"))
    expected = E + ((A / X["params"]) ** (a / b) + B / X["tokens"]) ** b
    np.testing.assert_allclose(law.predict(theta, X), expected, rtol=1e-12)
    nat = law.natural(theta)
    assert nat["A"] == pytest.approx(A) and nat["E"] == pytest.approx(E)


def test_kaplan_gradient_matches_finite_differences() -> None:
    law = KaplanLaw()
    X = _grid(25, seed=1)
    rng = np.random.default_rng(2)
    theta = fit.get_preset("kaplan").starts(law) + rng.normal(0, 0.3, (16, 5))  # far and near
    theta = np.vstack([theta, law.from_natural(**TRUE)])
    f, J = law.log_predict_grad(theta, X)
    assert f.shape == (17, 25) and J.shape == (17, 25, 5)
    np.testing.assert_allclose(f, law.log_predict(theta, X), rtol=1e-14)
    _assert_gradient_is_the_central_difference(law, theta, X, atol=1e-8)


def test_kaplan_limits_and_bad_input() -> None:
    law = KaplanLaw()
    theta = law.from_natural(**TRUE)
    # infinite data: E + (A/N)^α ; infinite model: E + (B/D)^β
    big = 1e30
    got_d = law.predict(theta, {"params": [1e8], "tokens": [big]})[0]
    got_n = law.predict(theta, {"params": [big], "tokens": [1e9]})[0]
    assert got_d == pytest.approx(TRUE["E"] + (TRUE["A"] / 1e8) ** TRUE["alpha"], rel=1e-9)
    assert got_n == pytest.approx(TRUE["E"] + (TRUE["B"] / 1e9) ** TRUE["beta"], rel=1e-9)
    with pytest.raises(ValueError, match="tokens"):
        law.predict(theta, {"params": [1e8], "tokens": [-1.0]})
    with pytest.raises(ValueError, match="5 parameters"):
        law.predict(theta[:4], {"params": [1e8], "tokens": [1e9]})


def test_the_kaplan_preset_starts_are_the_authors() -> None:
    grid = fit.get_preset("kaplan").starts(KaplanLaw())
    assert grid.shape == (16, 5)
    assert set(grid[:, 0]) == {5.0, 10.0, 15.0, 20.0} == set(grid[:, 1])
    assert np.all(grid[:, 2] == 0.5) and np.all(grid[:, 3:] == 0.4)
    assert len({tuple(r) for r in grid}) == 16


def test_translated_law_gradient_and_identity() -> None:
    src = KaplanLaw().from_natural(**TRUE)
    law = TranslatedKaplanLaw(src)
    X = _grid(20, seed=3)
    # κ = 1, K = 1, E1 = E0 gives back the source law exactly
    ident = np.array([np.log(TRUE["E"]), 0.0, 1.0])
    np.testing.assert_allclose(law.predict(ident, X), KaplanLaw().predict(src, X), rtol=1e-12)
    theta = np.array([[0.3, -0.2, 0.9], [1.0, 0.4, 1.3], [-2.0, 0.0, 1.0]])
    _assert_gradient_is_the_central_difference(law, theta, X, atol=1e-9)


def test_fit_recovers_kaplan_law_from_noiseless_data() -> None:
    law = KaplanLaw()
    X = _grid(60, seed=4)
    y = law.predict(law.from_natural(**TRUE), X)
    runs = pd.DataFrame(
        {
            "name": [f"r{i}" for i in range(60)],
            "data": "fineweb-100b",
            "params": X["params"],
            "tokens": X["tokens"],
            "flops": 6 * X["params"] * X["tokens"],
            "iso_flop": 1.0,
            "eval/fineweb_100b_val/CrossEntropyLoss": y,
        }
    )
    fits = l2l.fit_corpus_laws(runs, ["fineweb_100b_val"], ["fineweb-100b"])
    row = fits.loc[("fineweb-100b", "fineweb_100b_val")]
    assert bool(row["converged"])
    assert row["objective"] < 1e-12
    assert row["E"] == pytest.approx(TRUE["E"], rel=1e-3)
    assert row["alpha"] == pytest.approx(TRUE["alpha"], rel=1e-2)
    assert row["beta"] == pytest.approx(TRUE["beta"], rel=1e-2)


# ---------------------------------------------------------------------------------------------
# ShiftedPowerLaw


def test_shifted_power_law_recovers_known_curve() -> None:
    kappa, K, ex, ey = 1.0663, 0.6049, 1.97, 1.32
    x = np.linspace(2.2, 3.5, 50)
    y = K * (x - ex) ** kappa + ey
    curve = ShiftedPowerLaw(ex, ey).fit(x, y)
    assert curve.kappa_ == pytest.approx(kappa, abs=1e-12)
    assert curve.K_ == pytest.approx(K, abs=1e-12)
    assert curve.r_squared_ == pytest.approx(1.0)
    np.testing.assert_allclose(curve.predict(x), y, rtol=1e-12)
    # with multiplicative noise on (y - E_y), the estimate stays close and the SE is honest
    rng = np.random.default_rng(0)
    y_noisy = K * (x - ex) ** kappa * np.exp(rng.normal(0, 0.01, x.size)) + ey
    noisy = ShiftedPowerLaw(ex, ey).fit(x, y_noisy)
    assert abs(noisy.kappa_ - kappa) < 4 * noisy.kappa_se_
    assert 0 < noisy.kappa_se_ < 0.05
    assert np.isnan(noisy.predict(np.array([ex - 0.1]))[0])


def test_shifted_power_law_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="irreducible loss"):
        ShiftedPowerLaw(2.0, 1.0).fit([1.9, 2.5, 3.0], [1.5, 2.0, 2.5])
    with pytest.raises(ValueError, match="lengths differ"):
        ShiftedPowerLaw(1.0, 1.0).fit([2.0, 2.5, 3.0], [1.5, 2.0])
    with pytest.raises(RuntimeError, match="fit"):
        ShiftedPowerLaw(1.0, 1.0).predict([2.0])


# ---------------------------------------------------------------------------------------------
# Pairing and families


def _toy_runs() -> pd.DataFrame:
    col = corpora.loss_column
    rows = []
    # corpus a has configs 1..4, corpus b has configs 2..5: 3 pairs (2, 3, 4)
    for corpus, configs, offset in (
        ("fineweb-100b", (1, 2, 3, 4), 0.0),
        ("starcoder", (2, 3, 4, 5), 1.0),
    ):
        for c in configs:
            rows.append(
                {
                    "name": f"{corpus}-{c}",
                    "data": corpus,
                    "params": 1e7 * c,
                    "tokens": 1e9 * c,
                    "flops": 6e16 * c * c,
                    "iso_flop": 6e16 * c * c,
                    col("fineweb_100b_val"): 3.0 / c + offset,
                    col("starcoder_val"): 2.0 / c + offset,
                    col("hellaswag"): 4.0 / c + offset,
                }
            )
    return pd.DataFrame(rows)


def test_pair_runs_inner_join_on_config_and_tokens() -> None:
    runs = _toy_runs()
    pairs = l2l.pair_runs(runs, "fineweb-100b", "fineweb_100b_val", "starcoder", "starcoder_val")
    assert list(pairs["params"]) == [2e7, 3e7, 4e7]
    np.testing.assert_allclose(pairs["x"], 3.0 / np.array([2, 3, 4]))
    np.testing.assert_allclose(pairs["y"], 2.0 / np.array([2, 3, 4]) + 1.0)
    # same corpus: each run with itself (train-to-test)
    same = l2l.pair_runs(runs, "starcoder", "starcoder_val", "starcoder", "hellaswag")
    assert len(same) == 4
    np.testing.assert_allclose(same["y"] - 1.0, 2.0 * (same["x"] - 1.0))


def test_pair_runs_errors() -> None:
    runs = _toy_runs()
    with pytest.raises(ValueError, match="no runs trained on corpus 'proof-pile-2'"):
        l2l.pair_runs(runs, "proof-pile-2", "proof_pile_2_val", "starcoder", "starcoder_val")
    dup = pd.concat([runs, runs.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="ambiguous"):
        l2l.pair_runs(dup, "fineweb-100b", "fineweb_100b_val", "starcoder", "starcoder_val")
    with pytest.raises(KeyError, match="unknown loss 'nope'"):
        l2l.pair_runs(runs, "fineweb-100b", "nope", "starcoder", "starcoder_val")


def test_family_specs() -> None:
    tt = l2l.train_to_train_specs()
    assert len(tt) == 30 and all(s.x_corpus != s.y_corpus for s in tt)
    tr = l2l.train_to_test_specs(test_losses=("hellaswag",))
    assert len(tr) == 6 and all(s.x_corpus == s.y_corpus for s in tr)
    te = l2l.test_to_test_specs(test_losses=("hellaswag", "piqa"))
    assert len(te) == 60 and all(s.x_loss == s.y_loss for s in te)


def test_tidy_losses_long_form() -> None:
    runs = _toy_runs()
    long = l2l.tidy_losses(runs, ["fineweb_100b_val", "hellaswag"])
    assert len(long) == 2 * len(runs)
    assert set(long.columns) >= {"run", "corpus", "params", "tokens", "loss", "value"}
    with pytest.raises(ValueError, match=r"missing column\(s\)"):
        l2l.tidy_losses(runs, ["piqa"])


# ---------------------------------------------------------------------------------------------
# On the authors' data


@pytest.fixture(scope="module")
def sweep() -> pd.DataFrame:
    return data.load_loss_to_loss_sweep()


def test_authors_E_reproduce_their_kappa_K(sweep: pd.DataFrame) -> None:
    """With the authors' E plugged in, the OLS step alone gives their printed κ, K."""
    E = l2l.authors_irreducible_losses(data.load_loss_to_loss_opt_params())
    specs = [
        l2l.FamilySpec("train-to-train", a, corpora.VAL_LOSS[a], b, corpora.VAL_LOSS[b])
        for a, b in (
            ("fineweb-edu-100b", "proof-pile-2"),
            ("fineweb-100b", "starcoder"),
            ("proof-pile-2", "slimpajama-chunk1"),
        )
    ]
    tab = l2l.fit_family(sweep, specs, E)
    np.testing.assert_allclose(tab["kappa"], [1.0663, 1.0904, 0.9068], atol=1e-4)
    np.testing.assert_allclose(tab["K"], [0.6049, 0.6230, 1.6622], atol=1e-4)
    assert list(tab["n"]) == [83, 80, 80]


def test_own_fit_matches_authors_objective(sweep: pd.DataFrame) -> None:
    fits = l2l.fit_corpus_laws(sweep, ["starcoder_val"], ["starcoder"])
    cmp = l2l.compare_with_authors(fits, data.load_loss_to_loss_opt_params())
    row = cmp.loc[("starcoder", "starcoder_val")]
    assert bool(row["ours_le_theirs"])
    assert row["E_rel_diff"] < 1e-4
    assert row["E_ours"] == pytest.approx(0.85, abs=0.01)


def test_fit_family_drops_losses_below_E_and_counts_them() -> None:
    runs = _toy_runs()
    # starcoder_val on starcoder runs: 2/c + 1 for c = 2..5 -> 2.0, 1.667, 1.5, 1.4
    E = {("starcoder", "starcoder_val"): 1.0, ("starcoder", "hellaswag"): 1.85}
    spec = l2l.FamilySpec("train-to-test", "starcoder", "starcoder_val", "starcoder", "hellaswag")
    # hellaswag = 4/c + 1 -> 3.0, 2.333, 2.0, 1.8: the last is below E_y = 1.85
    tab = l2l.fit_family(runs, [spec], E)
    assert int(tab.loc[0, "n"]) == 3 and int(tab.loc[0, "n_dropped"]) == 1
    assert np.isfinite(tab.loc[0, "kappa"]) and np.isfinite(tab.loc[0, "K"])
    E[("starcoder", "hellaswag")] = 2.5  # only one usable pair left: not fitted, no crash
    tab = l2l.fit_family(runs, [spec], E)
    assert np.isnan(tab.loc[0, "kappa"]) and int(tab.loc[0, "n_dropped"]) == 3


def test_translation_to_the_same_corpus_is_the_identity(sweep: pd.DataFrame) -> None:
    """Translating a corpus's law to itself from 8 of its runs gives κ ≈ 1, K ≈ 1, E1 ≈ E0."""
    held_out = data.load_loss_to_loss_extrapolation()
    fits = l2l.fit_own_validation_laws(sweep, corpora=["fineweb-100b"])
    tr = l2l.translation_experiment(sweep, held_out, fits, "fineweb-100b", ["fineweb-100b"])
    row = tr.iloc[0]
    assert row["source"] == row["destination"] == "fineweb-100b"
    assert row["n_runs"] == 8
    assert bool(row["converged_translated"]) and bool(row["converged_direct"])
    assert row["kappa"] == pytest.approx(1.0, abs=0.15)
    assert row["K"] == pytest.approx(1.0, abs=0.15)
    assert row["E1"] == pytest.approx(fits["E"].iloc[0], rel=0.05)
    with pytest.raises(ValueError, match="selection"):
        l2l.translation_experiment(
            sweep, held_out, fits, "fineweb-100b", ["fineweb-100b"], selection="x"
        )


# ---------------------------------------------------------------------------------------------
# Translation, the authors' protocol (translation_experiment.ipynb)


def test_small_set_is_one_run_per_budget_near_20_tokens_per_parameter(sweep: pd.DataFrame) -> None:
    small = l2l.small_set(sweep)
    ratio = small["tokens"] / small["params"]
    assert ((ratio > 16) & (ratio < 23)).all() and (small["n_layers"] != 20).all()
    sizes = small.groupby("data").size().to_dict()
    assert sizes == {
        "fineweb-100b": 7,
        "fineweb-edu-100b": 8,
        "proof-pile-2": 8,
        "slimpajama-chunk1": 8,
        "smollm-corpus": 7,
        "starcoder": 6,
    }
    assert not small.duplicated(["data", "iso_flop"]).any()


def test_curve_with_free_ey_recovers_a_known_curve() -> None:
    x = np.linspace(2.3, 3.5, 8)
    y = 0.6 * (x - 1.97) ** 1.1 + 1.3
    c = l2l.fit_curve_free_ey(x, y, 1.97)
    assert (c["kappa"], c["K"], c["e_y"]) == pytest.approx((1.1, 0.6, 1.3), rel=1e-6)
    with pytest.raises(ValueError, match="3 pairs"):
        l2l.fit_curve_free_ey(x[:2], y[:2], 1.97)


def test_translate_law_is_the_source_law_through_the_curve() -> None:
    curve = {"kappa": 1.1, "K": 0.6, "e_y": 1.3}
    new = l2l.translate_law(TRUE, curve)
    X = _grid()
    law = KaplanLaw()
    src = law.predict(law.from_natural(**TRUE), X)
    via_curve = curve["K"] * (src - TRUE["E"]) ** curve["kappa"] + curve["e_y"]
    np.testing.assert_allclose(law.predict(law.from_natural(**new), X), via_curve, rtol=1e-10)
    assert new["alpha"] / new["beta"] == pytest.approx(TRUE["alpha"] / TRUE["beta"])


def test_translation_table_reproduces_the_authors_cell_24(sweep: pd.DataFrame) -> None:
    """TE cell 24 to its 3 printed decimals (Baseline: the authors' printed fits re-scored)."""
    own = l2l.fit_own_validation_laws(sweep)
    pairs = l2l.translation_r2(sweep, own)
    assert len(pairs) == 30
    tab = l2l.translation_table(sweep, own, pairs)
    printed = {
        "fineweb-100b": (0.992, 0.990, 0.961),
        "fineweb-edu-100b": (0.992, 0.990, 0.953),
        "proof-pile-2": (0.988, 0.988, 0.928),
        "slimpajama-chunk1": (0.992, 0.991, 0.975),
        "smollm-corpus": (0.992, 0.991, 0.947),
        "starcoder": (0.987, 0.986, 0.450),
    }
    for corpus, row in printed.items():
        ours = tab.loc[corpus, ["skyline", "ours_mean", "baseline_authors"]].to_numpy(float)
        np.testing.assert_allclose(ours, row, atol=5e-4, err_msg=corpus)


@pytest.mark.parametrize("bad", [-1, 1, 2.0, "5", True])
def test_n_bootstrap_is_checked_up_front(bad) -> None:
    assert l2l.check_n_bootstrap(0) == 0 and l2l.check_n_bootstrap(200) == 200
    with pytest.raises(ParameterError, match="n_bootstrap"):
        l2l.check_n_bootstrap(bad)


def test_the_notebook_runs_without_a_bootstrap(tmp_path) -> None:
    """``-p n_bootstrap=0`` used to stop with a KeyError: now E has no interval and κ, K no
    bootstrap SE, everything else is recorded."""
    import io
    import json

    from scalingkit.notebooks import discover_notebooks
    from scalingkit.runner import run_notebooks

    (nb,) = discover_notebooks(["loss_to_loss"])
    (ok,) = run_notebooks(
        [nb], out_dir=tmp_path, overrides={"n_bootstrap": "0"}, progress=False, log=io.StringIO()
    )
    assert ok.ok, ok.error
    recs = {r["quantity"]: r for r in json.loads(ok.results.read_text())["records"]}
    assert recs["irreducible.fineweb"]["uncertainty"] is None
    assert "translation.starcoder.r2_ours_mean" in recs


def test_flops_to_loss_grid_recovers_a_shifted_power_law() -> None:
    C = np.geomspace(2e17, 5e19, 8)
    y = 40.0 * C**-0.07 + 1.2
    f = l2l.fit_flops_to_loss(C, y)
    assert f["b_x"] == 0.0
    assert f["predict"](1e21) == pytest.approx(40.0 * 1e21**-0.07 + 1.2, rel=0.01)


def test_downstream_extrapolation_reproduces_the_authors_cell_35(sweep: pd.DataFrame) -> None:
    E = l2l.authors_irreducible_losses(data.load_loss_to_loss_opt_params())
    held_out = data.load_loss_to_loss_extrapolation()
    d = l2l.downstream_extrapolation(sweep, held_out, E, ["hellaswag", "mmlu_humanities"])
    mare = 100 * d.groupby("loss")[[f"{m}_rel_error" for m in l2l.DOWNSTREAM_METHODS]].mean()
    np.testing.assert_allclose(mare.loc["hellaswag"], [1.6, 1.2, 1.7, 9.2], atol=0.051)
    np.testing.assert_allclose(mare.loc["mmlu_humanities"], [2.8, 23.1, 4.4, 11.0], atol=0.051)
