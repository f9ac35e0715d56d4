"""Small notebooks written on the fly for the runner and sweep tests."""

from __future__ import annotations

from pathlib import Path

import nbformat

#: The kernel every test notebook asks for.
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(path: Path, params: str, body: str) -> Path:
    """Write a notebook with a title, a ``parameters``-tagged cell and one code cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# demo"),
        nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nbformat.write(nb, path)
    return path


def targets_toml(*targets: dict) -> str:
    """The text of a ``targets.toml`` holding ``targets`` (each a mapping of its keys; a
    ``source_kind`` and ``source`` are filled in when not given)."""
    import json

    def value(v: object) -> str:
        return str(v).lower() if isinstance(v, bool) else json.dumps(v)

    blocks = []
    for t in targets:
        full = {"source_kind": "paper_table", "source": "Table 1", **t}
        blocks.append("[[target]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in full.items()))
    return "".join(blocks)


def write_targets(folder: Path, package: str, *targets: dict) -> Path:
    """Write ``folder/<package>/targets.toml`` (see :func:`targets_toml`) and return ``folder``,
    ready to stand in for ``scalingkit.reporting.targets_dir()``."""
    (folder / package).mkdir(parents=True, exist_ok=True)
    (folder / package / "targets.toml").write_text(targets_toml(*targets))
    return folder
