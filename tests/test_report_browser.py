"""The report as a person sees it: opened from disk in headless Chromium.

Chromium comes from Debian (``apt-get install -y chromium``); ``.ci/run`` installs it
when it is missing. Without it these tests fail and say how to install it.
"""

import io
import struct
import zlib
from collections import Counter
from pathlib import Path

import pytest
from browser import find_chromium, visit
from helpers import ROOT
from report_helpers import INJECTION, small_report

CHECKED_IN = ROOT / "reports" / "index.html"


@pytest.fixture(scope="module", autouse=True)
def chromium():
    if find_chromium() is None:
        pytest.fail("Chromium is needed for the browser tests: apt-get install -y chromium "
                    "(.ci/run installs it when missing)")


def inked_share(png: bytes, sample: int = 20000) -> float:
    """The share of sampled pixels that differ from the commonest colour (the paper)."""
    width, height, rows = decode_png(png)
    step = max(1, (width * height) // sample)
    pixels = [rows[y][x] for y, x in (divmod(i, width) for i in range(0, width * height, step))]
    paper = Counter(pixels).most_common(1)[0][0]
    return sum(1 for pixel in pixels if pixel != paper) / len(pixels)


def decode_png(png: bytes):
    """Width, height and rows of RGB(A) pixel tuples of an 8-bit, non-interlaced PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    stream, idat = io.BytesIO(png[8:]), b""
    width = height = channels = 0
    while True:
        length, kind = struct.unpack(">I4s", stream.read(8))
        data = stream.read(length)
        stream.read(4)
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc
                                      else corner)) & 255
        rows.append([tuple(line[x:x + channels]) for x in range(0, stride, channels)])
        previous = line
    return width, height, rows


def check_rendered(page: Path):
    seen = visit(page)
    assert seen.console_errors == []
    assert seen.images, "the page has no images"
    unloaded = [image for image in seen.images
                if not (image["complete"] and image["width"] > 0 and image["height"] > 0)]
    assert unloaded == []
    assert all(url.startswith(("file:", "data:")) for url in seen.requests), seen.requests
    assert inked_share(seen.screenshot) > 0.05, "the screenshot is (nearly) blank"
    return seen


def test_report_browser_checked_in_report_renders():
    seen = check_rendered(CHECKED_IN)
    assert "At a glance" in seen.text and "micrograd README" in seen.text


def test_report_browser_fresh_report_renders_and_shows_injection_as_text():
    seen = check_rendered(small_report().first / "index.html")
    assert INJECTION in seen.text
    assert "x**2*y # <img src=x onerror=alert(2)>" in seen.text


# Where the overview's first verdict badge and its table's box end, at a phone's width.
_VERDICT_PLACE = """JSON.stringify((() => {
    const badge = document.querySelector('#overview .badge');
    const box = badge.closest('.wide');
    return {badge: badge.getBoundingClientRect().right, page: document.documentElement.scrollWidth,
            box: box.scrollWidth > box.clientWidth ? 'scrolls' : 'fits'};
})())"""


@pytest.mark.parametrize("width", [400, 1280])
def test_report_browser_verdict_column_is_visible_on_a_phone_and_a_desktop(width):
    import json

    seen = visit(CHECKED_IN, width=width, script=_VERDICT_PLACE)
    place = json.loads(seen.value)
    assert place["badge"] <= width, place  # the verdict shows without scrolling
    assert place["page"] <= width, place  # only a table's own box may scroll sideways
