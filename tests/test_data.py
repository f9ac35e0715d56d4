"""Registry, fetching, hash checks, loaders and their error messages."""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scalingkit import data
from scalingkit.cli import main as cli_main


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_registry(path: Path, entries: list[dict[str, str]]) -> Path:
    lines = []
    for e in entries:
        lines.append("[[file]]")
        lines += [f'{k} = "{v}"' for k, v in e.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def _entry(key: str, rel: str, sha: str, url: str) -> dict[str, str]:
    return {
        "key": key,
        "path": rel,
        "repository": "example/repo",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "upstream_path": rel,
        "url": url,
        "sha256": sha,
        "license": "MIT",
        "citation": "Test et al.",
        "description": "a test file",
    }


@pytest.fixture
def custom_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Build a throwaway registry + mirror holding one CSV under a real loader's key."""

    def make(key: str, rel: str, frame: pd.DataFrame) -> Path:
        mirror = tmp_path / "mirror"
        target = mirror / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(target, index=False)
        url = "http://127.0.0.1:9/0123456789abcdef0123456789abcdef01234567/" + rel
        reg = _write_registry(tmp_path / "registry.toml", [_entry(key, rel, _sha(target), url)])
        monkeypatch.setenv(data.REGISTRY_ENV, str(reg))
        monkeypatch.setenv(data.DATA_DIR_ENV, str(mirror))
        return target

    return make


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on loopback serving a temporary folder (no external network)."""
    root = tmp_path / "served"
    root.mkdir()

    def handler(*args, **kwargs):
        return _QuietHandler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


# --- registry ---------------------------------------------------------------------------------


def test_registry_matches_the_mirror_checksums(mirror_dir: Path) -> None:
    sums = {}
    for line in (mirror_dir / "SHA256SUMS").read_text().splitlines():
        sha, rel = line.split(maxsplit=1)
        sums[rel.removeprefix("./")] = sha
    entries = data.load_registry()
    assert {e.path for e in entries.values()} == set(sums), (
        "registry and mirror list different files"
    )
    for e in entries.values():
        assert e.sha256 == sums[e.path], e.key
        assert e.commit in e.url and e.url.endswith(e.upstream_path), e.key
        assert e.license and e.citation and e.description


def test_verify_passes_against_the_mirror() -> None:
    result = data.verify()
    assert len(result) == 13
    assert result["ok"].all(), result.loc[~result["ok"], "message"].tolist()


def test_cli_data_verify_exit_codes(tmp_path: Path, mirror_dir: Path, monkeypatch, capsys) -> None:
    assert cli_main(["data", "verify"]) == 0
    bad = tmp_path / "mirror"
    shutil.copytree(mirror_dir, bad)
    victim = bad / "chinchilla" / "svg_extracted_data.csv"
    victim.chmod(0o644)
    victim.write_text(victim.read_text().replace("5.005581996196243", "5.1"))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(bad))
    assert cli_main(["data", "verify"]) == 1
    out = capsys.readouterr().out
    assert "FAIL chinchilla" in out and "12 ok, 1 failed" in out


def test_unknown_key_names_the_key_and_the_known_ones() -> None:
    with pytest.raises(
        data.UnknownDataKeyError, match=r"unknown data key 'chinchila'.*known keys: chinchilla"
    ):
        data.fetch("chinchila")


def test_malformed_registry_entry_is_rejected(tmp_path: Path) -> None:
    entry = _entry(
        "x", "x.csv", "0" * 64, "http://127.0.0.1:9/0123456789abcdef0123456789abcdef01234567/x"
    )
    del entry["license"]
    reg = _write_registry(tmp_path / "r.toml", [entry])
    with pytest.raises(data.DataError, match=r"r.toml: entry 0 lacks field\(s\) license"):
        data.load_registry(reg)


def test_registry_is_parsed_once_per_file_version(tmp_path: Path) -> None:
    first, second = data.load_registry(), data.load_registry()
    assert first == second and first is not second  # fresh dicts ...
    assert first["chinchilla"] is second["chinchilla"]  # ... of the same parsed entries
    url = "http://127.0.0.1:9/0123456789abcdef0123456789abcdef01234567/x"
    reg = _write_registry(tmp_path / "r.toml", [_entry("x", "x.csv", "0" * 64, url)])
    a = data.load_registry(reg)
    assert data.load_registry(reg)["x"] is a["x"]
    _write_registry(reg, [_entry("y", "y.csv", "1" * 64, url)])  # edited: parsed again
    os.utime(reg, ns=(1, 1))
    assert list(data.load_registry(reg)) == ["y"]


def test_registry_override_is_honoured(tmp_path: Path, monkeypatch) -> None:
    url = "http://127.0.0.1:9/0123456789abcdef0123456789abcdef01234567/x"
    reg = _write_registry(tmp_path / "r.toml", [_entry("only", "o.csv", "0" * 64, url)])
    monkeypatch.setenv(data.REGISTRY_ENV, str(reg))
    assert list(data.load_registry()) == ["only"] and data.registry_path() == reg
    with pytest.raises(data.UnknownDataKeyError, match=r"known keys: only$"):
        data.fetch("chinchilla")


# --- the store: decisions without I/O -------------------------------------------------------------


def test_store_decides_mirror_or_cache_without_io(tmp_path: Path) -> None:
    entries = data.load_registry()
    e = entries["chinchilla"]
    mirror = data.DataStore(entries, data_dir=tmp_path / "nowhere")
    loc = mirror.locate("chinchilla")
    assert loc == data.Location(
        "chinchilla", tmp_path / "nowhere" / e.path, "mirror", e.url, e.sha256
    )
    assert not loc.path.exists()  # deciding touched nothing
    cache = data.DataStore(entries, cache_dir=tmp_path / "cache").locate("chinchilla")
    assert (cache.source, cache.path) == ("cache", tmp_path / "cache" / e.path)
    assert data.DataStore.is_valid(loc, e.sha256) and not data.DataStore.is_valid(loc, "0" * 64)
    with pytest.raises(data.UnknownDataKeyError, match="unknown data key 'x'"):
        mirror.locate("x")
    env = {data.DATA_DIR_ENV: "rel/mirror", data.CACHE_DIR_ENV: " "}
    store = data.DataStore.from_env(env)
    assert store.data_dir == Path.cwd() / "rel" / "mirror"
    assert env[data.DATA_DIR_ENV] == str(Path.cwd() / "rel" / "mirror")  # pinned absolute


def test_relative_data_dir_keeps_working_after_chdir(
    tmp_path: Path, mirror_dir: Path, monkeypatch
) -> None:
    """Kernels run in a temporary folder: a relative mirror must be pinned before they move."""
    work = (tmp_path / "work").resolve()
    elsewhere = (tmp_path / "deeper" / "elsewhere").resolve()  # rel means another folder there
    work.mkdir()
    elsewhere.mkdir(parents=True)
    rel = os.path.relpath(mirror_dir.resolve(), work)
    assert not Path(rel).is_absolute() and not (elsewhere / rel).resolve().is_dir()
    # a fresh process started with the relative path, which then changes directory
    code = (
        "import os, sys\n"
        "import scalingkit.data as d\n"
        f"os.chdir({str(elsewhere)!r})\n"
        "print(d.fetch('chinchilla'))\n"
        "print(os.environ['SCALINGKIT_DATA_DIR'])\n"
    )
    env = dict(os.environ, SCALINGKIT_DATA_DIR=rel)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert Path(out[0]).is_file() and Path(out[1]) == mirror_dir.resolve()
    # in this process: the first read pins it, a later chdir does not move it
    monkeypatch.chdir(work)
    monkeypatch.setenv(data.DATA_DIR_ENV, rel)
    assert data.data_dir() == mirror_dir.resolve()
    monkeypatch.chdir(elsewhere)
    assert data.fetch("chinchilla").is_file()
    assert os.environ[data.DATA_DIR_ENV] == str(mirror_dir.resolve())


# --- fetching and hashes ------------------------------------------------------------------------


def test_mirror_hash_mismatch_names_the_file(tmp_path: Path, mirror_dir: Path, monkeypatch) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "chinchilla").mkdir(parents=True)
    (mirror / "chinchilla" / "svg_extracted_data.csv").write_text(
        "Model Size,Training FLOP,loss\n1,2,3\n"
    )
    monkeypatch.setenv(data.DATA_DIR_ENV, str(mirror))
    with pytest.raises(
        data.HashMismatchError, match=r"svg_extracted_data.csv: sha256 .* does not match"
    ):
        data.load_chinchilla()


def test_file_missing_from_the_mirror_names_url_and_env(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(data.DataUnavailableError) as err:
        data.fetch("chinchilla")
    msg = str(err.value)
    assert "SCALINGKIT_DATA_DIR" in msg and "raw.githubusercontent.com" in msg and "\n" not in msg


def test_offline_without_mirror_names_url_and_env(tmp_path: Path, monkeypatch) -> None:
    rel = "demo/file.csv"
    url = "http://127.0.0.1:9/0123456789abcdef0123456789abcdef01234567/demo/file.csv"  # port 9: closed
    reg = _write_registry(tmp_path / "r.toml", [_entry("demo", rel, "a" * 64, url)])
    monkeypatch.setenv(data.REGISTRY_ENV, str(reg))
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "cache"))
    with pytest.raises(data.DataUnavailableError) as err:
        data.fetch("demo")
    msg = str(err.value)
    assert url in msg and "SCALINGKIT_DATA_DIR" in msg and "\n" not in msg


def test_download_is_hash_checked_and_bad_copy_not_kept(
    tmp_path: Path, local_server, monkeypatch
) -> None:
    base, served = local_server
    (served / "demo").mkdir()
    (served / "demo" / "file.csv").write_text("a,b\n1,2\n")
    good_sha = _sha(served / "demo" / "file.csv")
    url = f"{base}/demo/file.csv?0123456789abcdef0123456789abcdef01234567"
    cache = tmp_path / "cache"
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(cache))
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)

    reg = _write_registry(tmp_path / "bad.toml", [_entry("demo", "demo/file.csv", "b" * 64, url)])
    monkeypatch.setenv(data.REGISTRY_ENV, str(reg))
    with pytest.raises(data.HashMismatchError, match=r"file.csv: downloaded file .* \(not kept\)"):
        data.fetch("demo")
    assert not (cache / "demo" / "file.csv").exists()

    reg = _write_registry(tmp_path / "good.toml", [_entry("demo", "demo/file.csv", good_sha, url)])
    monkeypatch.setenv(data.REGISTRY_ENV, str(reg))
    path = data.fetch("demo")
    assert path == cache / "demo" / "file.csv" and _sha(path) == good_sha

    # a corrupted cached copy is deleted and downloaded again
    path.write_text("tampered")
    assert _sha(data.fetch("demo")) == good_sha


# --- loaders ------------------------------------------------------------------------------------


def test_load_chinchilla_columns_and_units() -> None:
    df = data.load_chinchilla()
    assert list(df.columns) == ["params", "tokens", "flops", "loss"]
    assert len(df) == 245
    np.testing.assert_allclose(df["tokens"], df["flops"] / (6 * df["params"]))
    assert (df[["params", "tokens", "flops", "loss"]] > 0).all().all()


CHINCHILLA_RUNS = {"Model Size": [1e8, 2e8], "Training FLOP": [1e18, 2e18], "loss": [3.0, 2.9]}
POWER_LAW = "; a power law needs finite values > 0"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Training FLOP": None}, r"missing column\(s\) 'Training FLOP'; available columns: "
         r"'Model Size', 'loss'"),
        # data row 1 is line 3 of the file (the header is line 1)
        ({"loss": [3.0, 0.0]}, "column 'loss', line 3: non-positive value 0.0" + POWER_LAW),
        ({"loss": [3.0, -1.0]}, "column 'loss', line 3: non-positive value -1.0" + POWER_LAW),
        ({"loss": [3.0, np.inf]}, "column 'loss', line 3: non-finite value inf" + POWER_LAW),
        ({"loss": [3.0, np.nan]}, "column 'loss', line 3: missing value" + POWER_LAW),
    ],
)  # fmt: skip
def test_loader_names_the_file_column_and_line(custom_registry, change, message) -> None:
    columns = {k: v for k, v in {**CHINCHILLA_RUNS, **change}.items() if v is not None}
    custom_registry("chinchilla", "chinchilla/svg_extracted_data.csv", pd.DataFrame(columns))
    with pytest.raises(data.DataValidationError, match=f"svg_extracted_data.csv: {message}$"):
        data.load_chinchilla()


def test_slimpajama_missing_losses_are_counted_not_dropped() -> None:
    df = data.load_slimpajama_mixtures()
    assert len(df) == 2452
    assert df.attrs["missing_losses"] == {
        "github_loss": 2,
        "stackexchange_loss": 5,
        "wikipedia_loss": 6,
        "openhermes_loss": 3,
    }
    weights = df[[f"weight_{d}" for d in data.MIXTURE_DOMAINS]]
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)
    assert sorted(df["params"].unique()) == [122e6, 310e6, 680e6, 937e6, 1235e6, 2718e6]


def test_slimpajama_weights_must_sum_to_one(custom_registry) -> None:
    cols = {f"weight_{d}": [1 / 7] for d in data.MIXTURE_DOMAINS}
    cols["weight_c4"] = [0.5]
    cols |= {"model_size": [1e8], "n_tokens": [1e9]}
    cols |= {f"{d}_loss": [3.0] for d in data.MIXTURE_DOMAINS} | {"openhermes_loss": [3.0]}
    custom_registry("mixtures.slimpajama", "m.csv", pd.DataFrame(cols))
    with pytest.raises(
        data.DataValidationError, match=r"m.csv: mixture weights of 1 row\(s\) do not sum to 1"
    ):
        data.load_slimpajama_mixtures()


def test_loss_to_loss_loaders() -> None:
    sweep = data.load_loss_to_loss_sweep()
    extra = data.load_loss_to_loss_extrapolation()
    params = data.load_loss_to_loss_opt_params()
    assert len(sweep) == 529 and sweep["data"].nunique() == 6
    assert len(extra) == 6 and list(extra.columns) == list(sweep.columns)
    assert {"A", "B", "E", "alpha", "beta", "data", "loss_name"} <= set(params.columns)


def test_regmix_loader_and_bad_arguments() -> None:
    train = data.load_regmix("train", "1m")
    assert len(train) == 512
    w = train.filter(like="weight_")
    assert w.shape[1] == 17 and np.allclose(w.sum(axis=1), 1, atol=0.01)
    assert train.filter(like="_loss").shape[1] == 13
    assert len(data.load_regmix("test", "1B")) == 64
    with pytest.raises(
        ValueError, match=r"scale: expected one of \('1m',\) for split='train', got '1B'"
    ):
        data.load_regmix("train", "1B")
    with pytest.raises(ValueError, match="split: expected 'train' or 'test'"):
        data.load_regmix("valid", "1m")


def test_real_data_sets_moved_to_data() -> None:
    from scalingkit.workbooks.data_pruning import real_data

    digits = data.load_real("digits")
    assert real_data.load_real is data.load_real and real_data.RealData is data.RealData
    assert digits.X.shape == (1297, 64) and digits.X_test.shape == (500, 64)
    np.testing.assert_allclose(digits.X.mean(0), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="parameter name must be 'digits' or 'mnist1d'"):
        data.load_real("cifar10")


def test_used_files_track_provenance() -> None:
    data.load_chinchilla()
    keys = {f["key"]: f for f in data.used_files()}
    assert keys["chinchilla"]["sha256"] == data.registry_entry("chinchilla").sha256
