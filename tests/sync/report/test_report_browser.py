"""The HTML report in a real browser: headless Chromium renders it without a console
message, and the screenshot shows the charts (many colours, the funnel's own blue).

Skipped, with the reason, when ``/usr/bin/chromium`` (Debian's ``chromium`` package) is
missing. The console check is itself tested on a page with a deliberate script error.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.cli.report import report_command
from funnelsync.sync.report.sample_history import write_sample_state
from funnelsync.sync.report.svg_charts import FUNNEL_FROM
from funnelsync.sync.state.store import StateStore
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.sync.workspace.scaffold import write_templates

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="headless browser test needs Debian's chromium package"
)
CONSOLE = re.compile(r":CONSOLE[:(]|Uncaught")


def screenshot(page: Path, png: Path, profile: Path, height: int = 2000) -> str:
    """Load ``page`` in headless Chromium, save a screenshot; returns the browser's log."""
    done = subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            f"--user-data-dir={profile}", "--hide-scrollbars", f"--screenshot={png}",
            f"--window-size=1400,{height}", "--enable-logging=stderr", "--v=0",
            page.resolve().as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def console_messages(log: str) -> list[str]:
    return [line for line in log.splitlines() if CONSOLE.search(line)]


def _add_bytes(line: bytes, above: bytes) -> bytearray:
    """Bytewise ``(a + b) % 256`` of two equal-length rows, eight bits at a time in one int."""
    size = len(line)
    low, high = int.from_bytes(b"\x7f" * size, "big"), int.from_bytes(b"\x80" * size, "big")
    a, b = int.from_bytes(line, "big"), int.from_bytes(above, "big")
    return bytearray((((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(size, "big"))


def _unfilter(kind: int, line: bytearray, above: bytearray, channels: int) -> bytearray:
    if kind == 2:
        return _add_bytes(line, above)
    for i in range(len(line)):
        left = line[i - channels] if i >= channels else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + above[i]) >> 1)) & 0xFF
        elif kind == 4:
            up, corner = above[i], above[i - channels] if i >= channels else 0
            guess = left + up - corner
            to_left, to_up, to_corner = abs(guess - left), abs(guess - up), abs(guess - corner)
            if to_left <= to_up and to_left <= to_corner:
                line[i] = (line[i] + left) & 0xFF
            elif to_up <= to_corner:
                line[i] = (line[i] + up) & 0xFF
            else:
                line[i] = (line[i] + corner) & 0xFF
    return line


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and pixels of an 8-bit RGB/RGBA, non-interlaced PNG (stdlib only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    above = bytearray(stride)
    pixels: list[tuple[int, ...]] = []
    for row in range(height):
        start = row * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        line = _unfilter(raw[start], line, above, channels)
        pixels.extend(zip(line[0::channels], line[1::channels], line[2::channels], strict=True))
        above = line
    return width, height, pixels


def test_console_check_catches_a_script_error(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>notDefined();</script></body></html>", encoding="utf-8")
    log = screenshot(page, tmp_path / "broken.png", tmp_path / "profile", height=300)
    assert any("notDefined" in line for line in console_messages(log))


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    config = write_templates(tmp_path / "ws", with_empty_data=True)
    store = StateStore.open(tmp_path / "ws" / "state")
    contract = load_workspace(config, create_plugins()).contract
    as_of = datetime(2026, 11, 20, 15, tzinfo=UTC)
    write_sample_state(store, contract, leads=1500, activities=12000, as_of=as_of)
    store.close()
    page = tmp_path / "report.html"
    result = CliRunner().invoke(
        report_command,
        ["--config", str(config), "--since", "2026-10-01", "--until", "2026-10-31",
         "--by", "source", "--by", "campaign", "--out", str(page)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    png = tmp_path / "report.png"
    log = screenshot(page, png, tmp_path / "profile")
    assert console_messages(log) == []
    width, height, pixels = decode_png(png.read_bytes())
    assert (width, height) == (1400, 2000)
    colours = Counter(pixels)
    white = colours[(255, 255, 255)]
    assert len(colours) > 500, "a blank or flat page"
    assert white < 0.8 * len(pixels)
    # The funnel's first bar is drawn in exactly this blue: the SVG charts rendered.
    assert colours[FUNNEL_FROM] > 5000
