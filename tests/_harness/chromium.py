"""Debian Chromium for browser tests and benchmarks: the flags, and checks made on its pages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"

_BASE_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    # The page is headless and unfocused: timers and rendering must not be throttled.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
)


def chromium_args(fake_mic_wav: Path | None, *, fake_ui: bool = True) -> list[str]:
    """Flags for headless Debian Chromium as root; a looped WAV as the microphone when given.
    ``fake_ui=False`` leaves permission prompts to the page's permissions (denied)."""
    args = list(_BASE_FLAGS)
    args.append("--use-fake-device-for-media-stream")
    if fake_ui:
        args.append("--use-fake-ui-for-media-stream")
    else:
        args.append("--deny-permission-prompts")
    if fake_mic_wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={fake_mic_wav.resolve()}")
    return args


def launch_chromium(
    playwright: Any,
    fake_mic_wav: Path | None,
    *,
    fake_ui: bool = True,
    extra: Sequence[str] = (),
) -> Any:
    """Headless Debian Chromium through Playwright (sync or async API: with the async one,
    await the result), with :func:`chromium_args` and ``extra`` flags."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*chromium_args(fake_mic_wav, fake_ui=fake_ui), *extra],
    )


_READ_PIXELS = """([selector, index, x, y, r]) => {
    const all = [];
    const collect = (root) => {
        for (const el of root.querySelectorAll('*')) {
            if (el.matches(selector)) all.push(el);
            if (el.shadowRoot) collect(el.shadowRoot);
        }
    };
    collect(document);
    const canvas = all[index];
    if (!canvas || !canvas.clientWidth) return [];
    const ratio = canvas.width / canvas.clientWidth;
    const size = Math.round(2 * r * ratio) + 1;
    const data = canvas.getContext('2d').getImageData(
        Math.round((x - r) * ratio), Math.round((y - r) * ratio), size, size).data;
    return Array.from(data);
}"""


def color_distance(
    page: Any,
    selector: str,
    x: float,
    y: float,
    color: tuple[int, int, int],
    *,
    index: int = 0,
    radius: int = 3,
) -> int | None:
    """How close the canvas (the ``index``-th match of ``selector``, shadow roots included)
    comes to ``color`` within ``radius`` CSS pixels of ``(x, y)``: the smallest summed RGB
    distance, or None while that canvas is not laid out."""
    pixels: list[int] = page.evaluate(_READ_PIXELS, [selector, index, x, y, radius])
    if not pixels:
        return None
    return min(
        sum(abs(pixels[i + c] - color[c]) for c in range(3)) for i in range(0, len(pixels), 4)
    )
