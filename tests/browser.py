"""Open a page in headless Chromium over the DevTools protocol and report what happened.

Used by the rendered-report tests: console errors, uncaught exceptions, every network request
(a report must make none), the images and their sizes, the page text, and a screenshot.
Debian's ``chromium`` runs with ``--no-sandbox`` as root and with everything that would call
Google switched off; a fresh profile per run.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
         "--hide-scrollbars", "--window-size=1280,2000", "--remote-debugging-port=0"]

PAGE_STATE = """(() => ({
  lang: document.documentElement.lang,
  title: document.title,
  text: document.body.innerText,
  images: Array.from(document.images).map(i => ({alt: i.alt, w: i.naturalWidth, h: i.naturalHeight,
                                                complete: i.complete})),
  scripts: Array.from(document.scripts).map(s => s.src).filter(s => s),
}))()"""


@dataclass
class PageReport:
    """What a page did while loading, and what it shows."""

    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    state: dict = field(default_factory=dict)
    screenshot: Path | None = None

    @property
    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]


def open_page(path: Path, screenshot: Path | None = None, timeout: float = 60.0) -> PageReport:
    """Load ``path`` in headless Chromium; collect requests, console errors, page state."""
    import websocket  # websocket-client, a dependency of jupyter_server

    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed")
    profile = tempfile.mkdtemp(prefix="kpz-chromium-")
    flags = FLAGS + [f"--user-data-dir={profile}"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")
    proc = subprocess.Popen([CHROMIUM, *flags, "about:blank"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        ws_url = None
        deadline = time.time() + timeout
        while time.time() < deadline and ws_url is None:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {proc.returncode}")
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                ws_url = m.group(1)
        if ws_url is None:
            raise RuntimeError("chromium did not open its DevTools port")
        # no Origin header: Debian's Chromium 150 refuses a DevTools connection whose origin is
        # not allowed by --remote-allow-origins (403), and the port is only known after start
        ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        counter = iter(range(1, 1_000_000))
        report = PageReport(url=path.resolve().as_uri())
        events: list[dict] = []

        def call(method: str, params: dict | None = None, session: str | None = None) -> dict:
            msg_id = next(counter)
            msg = {"id": msg_id, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            ws.send(json.dumps(msg))
            while True:
                reply = json.loads(ws.recv())
                if reply.get("id") == msg_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply.get("result", {})
                events.append(reply)

        target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            call(f"{domain}.enable", session=session)
        call("Page.navigate", {"url": report.url}, session=session)
        loaded = False
        while time.time() < deadline and not loaded:
            event = json.loads(ws.recv())
            events.append(event)
            loaded = event.get("method") == "Page.loadEventFired"
        time.sleep(0.5)  # late requests and console messages
        report.state = call("Runtime.evaluate", {"expression": PAGE_STATE, "returnByValue": True},
                            session=session)["result"]["value"]
        if screenshot is not None:
            shot = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                        session=session)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            report.screenshot = screenshot
        ws.close()
        for e in events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Network.requestWillBeSent":
                report.requests.append(params["request"]["url"][:200])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                report.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                      for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                report.console_errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                report.console_errors.append(params["entry"].get("text", ""))
        return report
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
