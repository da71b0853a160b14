"""Kernel-rendered plots follow the page's theme: the dark theme is light text on a transparent
figure (not an opaque white box); the saved copy stays light unless asked otherwise."""

from __future__ import annotations

import asyncio
import base64
import io

import numpy as np
from PIL import Image

from nextevi_widgets.timeline import EmotionPlot, EmotionTimeline
from nextevi_widgets.timeline.render import LiveRenderer, PngRenderer


def sample() -> EmotionTimeline:
    timeline = EmotionTimeline()
    timeline.add_turn("user", 0.0, 4.0)
    for k in range(16):
        timeline.add(k * 0.25, {"joy": 0.2 + k / 40, "anger": 0.6})
    return timeline


def rgba(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)


def test_the_dark_theme_is_transparent_with_light_text() -> None:
    light = rgba(PngRenderer(600, 240).render(sample()).png)
    dark = rgba(PngRenderer(600, 240, theme="dark").render(sample()).png)
    assert light[0, 0].tolist() == [255, 255, 255, 255]  # the classic opaque white figure
    assert dark[0, 0, 3] == 0  # transparent: the page's background shows
    opaque = dark[dark[:, :, 3] > 200][:, :3]
    # Text and axes are light (on the dark page), never the light theme's dark grey.
    bright = (opaque.min(axis=1) > 200).sum()
    assert bright > 300
    assert (opaque.max(axis=1) < 80).sum() == 0


def test_a_live_renderer_switches_theme_without_a_stale_frame() -> None:
    renderer = LiveRenderer(600, 240)
    timeline = sample()
    renderer.render(timeline)
    renderer.render(timeline)  # blitted onto the kept light frame
    renderer.set_theme("dark")
    result = renderer.render(timeline)
    assert not result.blitted
    assert rgba(result.png)[0, 0, 3] == 0


async def test_a_png_plot_follows_the_theme_the_page_reports() -> None:
    timeline = sample()
    plot = EmotionPlot(timeline, renderer="png", max_fps=50)
    images: list[bytes] = []
    plot.observe(lambda change: images.append(change["new"]), names=["image"])
    plot._handle_custom_msg({"kind": "theme", "dark": True}, [])  # what js/plot.ts sends
    for _ in range(300):
        await asyncio.sleep(0.01)
        if images:
            break
    assert images
    assert rgba(images[-1])[0, 0, 3] == 0
    # The saved copy stays readable on the white pages notebooks are usually viewed on.
    bundle = plot._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert rgba(base64.b64decode(data["image/png"]))[0, 0].tolist() == [255, 255, 255, 255]
    plot.close()


def test_theme_dark_is_kept_in_the_saved_copy_when_asked() -> None:
    plot = EmotionPlot(sample(), theme="dark")
    bundle = plot._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert rgba(base64.b64decode(data["image/png"]))[0, 0, 3] == 0
    plot.close()
