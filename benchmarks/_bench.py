"""Shared machinery of the benchmarks: timing with CPU of child processes, rotated repeats,
the one-line report per contender, and running a past commit of scalingkit side by side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    """The 1, 5 and 15-minute load averages."""
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def _cpu_tree() -> float:
    """CPU seconds of this process, its reaped children and its live children (joblib's)."""
    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for ch in me.children(recursive=True):
        try:
            c = ch.cpu_times()
            total += c.user + c.system
        except psutil.Error:
            pass
    return total


@dataclass
class Timing:
    """Best (minimum wall) of the repeats of one contender, and its result."""

    name: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    result: Any = None

    @property
    def wall(self) -> float:
        return min(self.walls)

    @property
    def cpu(self) -> float:
        return self.cpus[self.walls.index(min(self.walls))]


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of ``fn()`` (CPU includes child processes), and its value.

    A result with ``wall``/``cpu`` keys (a subprocess that timed itself) is taken as is."""
    t0, c0 = time.perf_counter(), _cpu_tree()
    out = fn()
    wall, cpu = time.perf_counter() - t0, _cpu_tree() - c0
    if isinstance(out, dict) and "wall" in out:
        wall, cpu = out["wall"], out["cpu"]
    return wall, cpu, out


def rotated(contenders: dict[str, Callable[[], Any]], repeats: int) -> dict[str, Timing]:
    """Run every contender ``repeats`` times, rotating the order each round."""
    names = list(contenders)
    out = {k: Timing(k) for k in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for k in order:
            wall, cpu, res = timed(contenders[k])
            out[k].walls.append(wall)
            out[k].cpus.append(cpu)
            out[k].result = res
            print(f"  [{r + 1}/{repeats}] {k}: {wall:.2f} s wall, {cpu:.2f} s CPU (load {load()})")
    return out


def line(t: Timing, ours: Timing) -> str:
    """``<contender>: total wall X s, CPU Y s, ratio Z× (ours faster)``."""
    if t is ours:
        return f"{t.name}: total wall {t.wall:.2f} s, CPU {t.cpu:.2f} s"
    ratio = t.wall / ours.wall
    who = "ours faster" if ratio >= 1 else "ours slower"
    return f"{t.name}: total wall {t.wall:.2f} s, CPU {t.cpu:.2f} s, ratio {ratio:.1f}× ({who})"


def archive(rev: str) -> Path:
    """``scalingkit`` and ``data/registry.toml`` of commit ``rev`` in a temporary directory."""
    dest = Path(tempfile.mkdtemp(prefix=f"scalingkit-{rev[:10]}-"))
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "scalingkit", "data/registry.toml"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)
    return dest


def run_child(tree: Path, script: Path, args: list[str]) -> dict[str, Any]:
    """Run ``script args`` with ``tree`` first on the path; it prints one JSON line last."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, str(script), *args], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
