"""Judge reports in a real browser: headless Chromium, offline, driven over the DevTools pipe.

``python -m scalingkit.runner.browser reports/ [--screenshots DIR]`` opens ``index.html`` and
every ``<stem>.html`` of a reports folder in headless Chromium with name resolution disabled
(any request for a host fails), waits for MathJax to finish, and checks that

- every request stayed on the machine (``file:``, ``data:``, ``about:`` URLs only) and none
  failed (a missing MathJax file, a font, an image);
- no script error was raised and nothing was logged as an error on the console;
- formulas were typeset: no ``$\\`` or ``$...$`` left in the rendered text;
- on a notebook report, code is hidden until "show code" is clicked, and then shown.

It prints one line per page and exits 1 if any check failed (2: no Chromium). With
``--screenshots`` it saves a full-page PNG of each page. Chromium is found as ``$SCALINGKIT_CHROMIUM``
or ``chromium`` / ``chromium-browser`` / ``google-chrome`` on the PATH (Debian: ``apt-get
install chromium``). The DevTools protocol is spoken over the pipe Chromium opens with
``--remote-debugging-pipe`` (file descriptors 3 and 4): no port, no extra dependency.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BrowserError", "Chromium", "PageCheck", "check_reports", "find_chromium"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: every host name fails to resolve
    "--remote-debugging-pipe",
)
LOCAL_SCHEMES = ("file:", "data:", "about:")
_RAW_TEX = re.compile(r"\$\\|\$\$|\$[^$\s][^$\n]{0,200}?\$")


def _high(fd: int) -> int:
    """``fd`` moved to a descriptor number of 10 or more."""
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class BrowserError(RuntimeError):
    """Chromium could not be started or stopped answering."""


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) executable, or None."""
    env = os.environ.get("SCALINGKIT_CHROMIUM")
    if env:
        return env if Path(env).is_file() else shutil.which(env)
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageCheck:
    """What one page did in the browser."""

    url: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    raw_tex: list[str] = field(default_factory=list)
    n_math: int = 0
    mathjax_done: bool | None = None
    code_hidden: bool | None = None
    code_shown_on_click: bool | None = None
    text: str = ""

    @property
    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]

    def problems(self) -> list[str]:
        """Every failed check, one line each (empty: the page passed)."""
        out = [f"request left the machine: {u}" for u in self.external]
        out += [f"request failed: {f}" for f in self.failed]
        out += [f"error: {e}" for e in self.errors]
        out += [f"formula not typeset: {t!r}" for t in self.raw_tex]
        if self.mathjax_done is False:
            out.append("MathJax did not finish")
        if self.code_hidden is False:
            out.append("code is visible before 'show code'")
        if self.code_shown_on_click is False:
            out.append("'show code' shows no code")
        return out


class Chromium:
    """One headless Chromium, spoken to over ``--remote-debugging-pipe``."""

    def __init__(self, executable: str | None = None, *, timeout: float = 60.0) -> None:
        exe = executable or find_chromium()
        if exe is None:
            raise BrowserError("no Chromium found (apt-get install chromium)")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="scalingkit-chromium-")
        cmd_r, self._cmd_w = os.pipe()
        self._evt_r, evt_w = os.pipe()
        cmd_r, evt_w = _high(cmd_r), _high(evt_w)  # never 3 or 4 themselves

        def _fds() -> None:  # in the child: Chromium reads fd 3, writes fd 4
            os.dup2(cmd_r, 3)
            os.dup2(evt_w, 4)

        self._proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_fds,  # only dup2 before exec
            pass_fds=(3, 4, cmd_r, evt_w),
            close_fds=True,
        )
        os.close(cmd_r)
        os.close(evt_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._evt_r, selectors.EVENT_READ)

    # ---- the protocol ------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(timeout=left):
                raise BrowserError("Chromium did not answer in time")
            chunk = os.read(self._evt_r, 1 << 16)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a command and return its result (events meanwhile are queued)."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, timeout: float) -> dict | None:
        """The next event ``method`` (earlier queued ones first), or None after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self._events):
                if ev["method"] == method:
                    return self._events.pop(i)
            try:
                ev = self._read_message(deadline)
            except BrowserError:
                return None
            if "method" in ev:
                self._events.append(ev)

    def evaluate(self, expression: str, session: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session
        )
        return result.get("result", {}).get("value")

    # ---- one page ----------------------------------------------------------------------------
    def check(self, url: str, *, screenshot: Path | None = None, width: int = 1200) -> PageCheck:
        """Load ``url``, wait for it and MathJax, run the checks (see the module doc)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Network", "Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", {}, session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        self._events.clear()
        self.send("Page.navigate", {"url": url}, session)
        self.wait_event("Page.loadEventFired", self.timeout)
        page = PageCheck(url)
        has_mathjax = self.evaluate("typeof MathJax !== 'undefined'", session)
        if has_mathjax:
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                if self.evaluate("document.documentElement.dataset.mathjax", session) == "done":
                    page.mathjax_done = True
                    break
                time.sleep(0.1)
            else:
                page.mathjax_done = False
        self.send("Runtime.evaluate", {"expression": "1"}, session)  # flush queued events
        page.text = self.evaluate("document.body.innerText", session) or ""
        page.raw_tex = [m.group(0) for m in _RAW_TEX.finditer(page.text)][:10]
        page.n_math = self.evaluate(
            "document.querySelectorAll('.MathJax, .MathJax_Display').length", session
        )
        if self.evaluate("!!document.getElementById('sk-show-code')", session):
            visible = (  # code cells shown, but those tagged show-input (shown on purpose)
                "[...document.querySelectorAll("
                "'.jp-CodeCell:not(.celltag_show-input) .jp-Cell-inputWrapper')]"
                ".filter(e => e.offsetParent !== null).length"
            )
            page.code_hidden = self.evaluate(visible, session) == 0
            if screenshot is not None:
                self._screenshot(screenshot, session)
            self.evaluate("document.getElementById('sk-show-code').click()", session)
            page.code_shown_on_click = self.evaluate(visible, session) > 0
        elif screenshot is not None:
            self._screenshot(screenshot, session)
        self._collect(page)
        self.send("Target.closeTarget", {"targetId": target})
        return page

    def _collect(self, page: PageCheck) -> None:
        urls: dict[str, str] = {}
        for ev in self._events:
            p = ev.get("params", {})
            method = ev["method"]
            if method == "Network.requestWillBeSent":
                urls[p["requestId"]] = p["request"]["url"]
                page.requests.append(p["request"]["url"])
            elif method == "Network.loadingFailed":
                where = urls.get(p.get("requestId"), "?")
                page.failed.append(f"{where} ({p.get('errorText', '')})")
            elif method == "Runtime.exceptionThrown":
                details = p.get("exceptionDetails", {})
                page.errors.append(details.get("exception", {}).get("description") or str(details))
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                page.errors.append(p["entry"].get("text", ""))
            elif method == "Runtime.consoleAPICalled" and p.get("type") == "error":
                page.errors.append(" ".join(str(a.get("value", "")) for a in p.get("args", [])))
        self._events.clear()

    def _screenshot(self, path: Path, session: str) -> None:
        size = self.send("Page.getLayoutMetrics", {}, session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
            session,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._cmd_w)
        self._selector.close()
        os.close(self._evt_r)
        self._profile.cleanup()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_reports(
    folder: str | os.PathLike[str],
    *,
    screenshots: str | os.PathLike[str] | None = None,
    pages: list[str] | None = None,
) -> dict[str, PageCheck]:
    """Check ``index.html`` and every report in ``folder`` (or only ``pages``)."""
    folder = Path(folder).resolve()
    names = pages or [
        "index.html",
        *sorted(p.name for p in folder.glob("*.html") if p.name != "index.html"),
    ]
    out = {}
    with Chromium() as browser:
        for name in names:
            shot = Path(screenshots) / f"{Path(name).stem}.png" if screenshots else None
            out[name] = browser.check((folder / name).as_uri(), screenshot=shot)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scalingkit.runner.browser",
        description="Open a reports folder in headless Chromium, offline, and check each page.",
    )
    parser.add_argument(
        "folder", nargs="?", default="reports", help="reports folder (default: reports)"
    )
    parser.add_argument("--screenshots", metavar="DIR", help="save a full-page PNG of each page")
    parser.add_argument("--page", action="append", default=None, help="only this page (repeatable)")
    args = parser.parse_args(argv)
    if find_chromium() is None:
        print(
            "no Chromium found: apt-get install chromium (or set SCALINGKIT_CHROMIUM)",
            file=sys.stderr,
        )
        return 2
    results = check_reports(args.folder, screenshots=args.screenshots, pages=args.page)
    bad = 0
    for name, page in results.items():
        problems = page.problems()
        bad += bool(problems)
        extra = f"{len(page.requests)} requests, {page.n_math} formulas"
        print(f"{'ok  ' if not problems else 'FAIL'} {name}: {extra}")
        for p in problems:
            print(f"       {p}")
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
