"""Open a page in headless Chromium and report what a person would see.

Talks the DevTools protocol over a pipe (``--remote-debugging-pipe``: file descriptors
3 and 4, messages separated by NUL bytes), so it needs no port and no extra package.

As a script it takes the screenshot that is checked in next to the report::

    python tests/browser.py reports/index.html reports/screenshot.png
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-pipe")
VIEWPORT = (1200, 900)
TIMEOUT = 60.0  # seconds for the whole visit

IMAGES_SCRIPT = """JSON.stringify(Array.from(document.images).map(image => ({
    source: image.currentSrc.slice(0, 40), complete: image.complete,
    width: image.naturalWidth, height: image.naturalHeight})))"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Visit:
    """What the page did: console errors, every request, every image, a screenshot."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    screenshot: bytes = b""
    text: str = ""
    value: object = None  # what ``visit``'s ``script`` returned


class _Pipe:
    def __init__(self, browser: subprocess.Popen, to_browser: int, from_browser: int):
        self.browser = browser
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.deadline = time.monotonic() + TIMEOUT

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self) -> dict:
        while b"\0" not in self.buffer:
            if time.monotonic() > self.deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        wanted = self.send(method, params, session)
        while True:
            message = self.receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str) -> None:
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self.receive())


def visit(page: Path, full_page: bool = False, width: int | None = None,
          script: str | None = None) -> Visit:
    """Load ``page`` from disk, wait for it to load, and collect what happened.

    ``width`` is the viewport's width in CSS pixels (default ``VIEWPORT``'s); a width
    under 600 emulates a phone. ``script`` (a JavaScript expression whose value is JSON)
    is evaluated after the load; its value is ``Visit.value``."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("no Chromium found; install it: apt-get install -y chromium")
    profile = tempfile.mkdtemp(prefix="diffcompare-chromium-")
    to_browser_read, to_browser = os.pipe()
    from_browser, from_browser_write = os.pipe()

    def connect_pipes():  # in the child: the protocol wants fds 3 (in) and 4 (out)
        reading, writing = os.dup(to_browser_read), os.dup(from_browser_write)
        os.dup2(reading, 3)
        os.dup2(writing, 4)

    browser = subprocess.Popen(
        [chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        preexec_fn=connect_pipes, close_fds=False,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_browser_read)
    os.close(from_browser_write)
    try:
        return _drive(_Pipe(browser, to_browser, from_browser), page, full_page, width, script)
    finally:
        os.close(to_browser)
        os.close(from_browser)
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _drive(pipe: _Pipe, page: Path, full_page: bool, width: int | None = None,
           script: str | None = None) -> Visit:
    target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
        pipe.call(domain, session=session)
    width, height = (width or VIEWPORT[0]), VIEWPORT[1]
    pipe.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
              "deviceScaleFactor": 1, "mobile": width < 600}, session)
    pipe.events.clear()
    navigation = pipe.call("Page.navigate", {"url": page.resolve().as_uri()}, session)
    if navigation.get("errorText"):
        raise FileNotFoundError(f"Chromium could not open {page}: {navigation['errorText']}")
    pipe.wait_for("Page.loadEventFired")
    images = json.loads(pipe.call("Runtime.evaluate", {"expression": IMAGES_SCRIPT,
                        "returnByValue": True}, session)["result"]["value"])
    text = pipe.call("Runtime.evaluate", {"expression": "document.body.innerText",
                     "returnByValue": True}, session)["result"]["value"]
    value = None
    if script is not None:
        value = pipe.call("Runtime.evaluate", {"expression": script, "returnByValue": True},
                          session)["result"].get("value")
    shot = {"format": "png"}
    if full_page:
        shot["captureBeyondViewport"] = True
    screenshot = base64.b64decode(pipe.call("Page.captureScreenshot", shot, session)["data"])
    # Console messages can trail the load event by a moment; collect what has arrived.
    pipe.call("Runtime.evaluate", {"expression": "0"}, session)
    return Visit(console_errors=_console_errors(pipe.events),
                 requests=[e["params"]["request"]["url"] for e in pipe.events
                           if e.get("method") == "Network.requestWillBeSent"],
                 images=images, screenshot=screenshot, text=text, value=value)


def _console_errors(events: list[dict]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                   for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text", "error"))
    return errors


def main(argv: list[str]) -> int:
    full = "--full" in argv
    argv = [arg for arg in argv if arg != "--full"]
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: python tests/browser.py PAGE.html SCREENSHOT.png [WIDTH] "
                         "[--full]\n")
        return 2
    result = visit(Path(argv[0]), full_page=full, width=int(argv[2]) if len(argv) == 3 else None)
    Path(argv[1]).write_bytes(result.screenshot)
    print(f"{len(result.images)} images, {len(result.console_errors)} console errors, "
          f"wrote {argv[1]}")
    for error in result.console_errors:
        print("console error:", error)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
