"""VoiceChat in JupyterLab Light and Dark: an axe-core audit of the widget's DOM finds nothing,
key text keeps 4.5:1 and control outlines 3:1 against what is behind them (colours as the
browser computed them), the state is a live region, the bars are meters, and the transcript
scrolls from the keyboard.

axe-core is the npm package in node_modules (injected into the page by the test, no CDN)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _harness.waiting import eventually

from ._lab import LabNotebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Opener = Callable[..., LabNotebook]
REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ROOT = ".nextevi-voice-chat"
THEMES = {"JupyterLab Light": "true", "JupyterLab Dark": "false"}

SET_THEME = """async (name) => {
  await window.jupyterapp.commands.execute('apputils:change-theme', {theme: name});
}"""

# Contrast of the key elements, computed from the browser's colours: each colour is turned
# into sRGB bytes by a 1x1 canvas (so any CSS colour syntax works), translucent colours are
# composited over the backgrounds behind the element, then the WCAG 2 ratio is taken.
CONTRAST = """(rootSelector) => {
  const root = document.querySelector(rootSelector);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = (color) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#010203';
    ctx.fillStyle = color;
    if (ctx.fillStyle === '#010203' && color !== '#010203') throw new Error('unparsed ' + color);
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const over = (top, bottom) =>
    [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const behind = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1]);
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((p, q) => q - p);
    return Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
  };
  const find = (selector) => {
    const el = root.querySelector(selector);
    if (!el || el.getClientRects().length === 0) throw new Error('not shown: ' + selector);
    return el;
  };
  const text = (selector) => {
    const el = find(selector);
    const bg = behind(el);
    return ratio(over(rgba(getComputedStyle(el).color), bg), bg);
  };
  // A component's colour (border or fill) against the background around it.
  const part = (selector, property, aroundSelector) => {
    const el = find(selector);
    const around = aroundSelector ? find(aroundSelector) : el.parentElement;
    const bg = behind(around);
    return ratio(over(rgba(getComputedStyle(el)[property]), bg), bg);
  };
  return {
    text: {
      'state pill': text('.nvc-pill'),
      'You label': text('.nvc-user .nvc-role'),
      'Assistant label': text('.nvc-assistant .nvc-role'),
      'message text': text('.nvc-msg .nvc-text'),
      'button': text('.nvc-connect'),
      'pressed button': text('.nvc-btn[aria-pressed="true"]'),
      'emulator badge': text('.nvc-badge'),
      'error text': text('.nvc-error'),
      'stats line': text('.nvc-stats'),
      'emotion score': text('.nvc-emotion-score'),
      'emotion name': text('.nvc-emotion-name'),
    },
    ui: {
      'state pill ring': part('.nvc-pill', 'borderTopColor'),
      'button outline': part('.nvc-connect', 'borderTopColor'),
      'text box outline': part('.nvc-say-input', 'borderTopColor'),
      'emotion bar': part('.nvc-bar-fill', 'backgroundColor', '.nvc-bar'),
      'meter fill': part('.nvc-meter-fill', 'backgroundColor', '.nvc-meter-track'),
    },
  };
}"""

AUDIT = """async (selector) => {
  const result = await axe.run(document.querySelector(selector), {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
  }));
}"""


THEME_STATE = """(root) => [document.body.dataset.jpThemeLight,
  getComputedStyle(document.querySelector(root)).backgroundColor]"""


def set_theme(page: Any, name: str) -> None:
    page.evaluate(SET_THEME, name)
    # Applied once the body says so and the widget's own background has the theme's colour.
    expected = [THEMES[name], "rgb(255, 255, 255)" if THEMES[name] == "true" else "rgb(33, 33, 33)"]
    eventually(
        lambda: page.evaluate(THEME_STATE, ROOT) == expected,
        timeout=60,
        what=f"the {name} theme",
    )


def test_both_themes_pass_axe_and_keep_aa_contrast(page: Any, open_notebook: Opener) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm install`")
    nb = open_notebook(
        page,
        [
            "from nextevi_widgets import VoiceChat\n"
            "chat = VoiceChat(config_id='deterministic', echo_strategy='headphones')\n"
            "chat"
        ],
    )
    widget = nb.widget()
    # A real conversation from the fake microphone: turns, replies, emotion scores, levels.
    widget.locator(".nvc-mic").click()
    nb.wait_until(
        "len([m for m in chat.messages if m['role'] == 'assistant']) >= 3"
        " and len(chat.emotions) > 0",
        timeout=150,
        what="three replies and emotion scores",
    )
    widget.locator(".nvc-mic").click()  # mic off: the page stops changing
    # Typed turns until the transcript overflows its box.
    transcript = widget.locator(".nvc-transcript")
    replies = "len([m for m in chat.messages if m['role'] == 'assistant'])"
    for _ in range(10):
        if transcript.evaluate("(el) => el.scrollHeight > el.clientHeight + 20"):
            break
        before = nb.probe(replies)
        widget.locator(".nvc-say-input").fill("Please tell me a little more about that.")
        widget.locator(".nvc-say-input").press("Enter")
        nb.wait_until(f"{replies} > {before}", timeout=60, what="a reply to the typed turn")
    nb.wait_until(
        "chat.state == 'connected' and not chat.is_assistant_speaking"
        " and not chat.is_user_speaking and not chat.interim_transcript",
        timeout=60,
        what="a quiet, connected session",
    )
    widget.locator(".nvc-mute").click()  # a pressed toggle
    # An error on show, to check its colours (the text is the kernel's error trait).
    nb.execute("chat.last_error = 'The example problem: nothing is wrong.'")
    widget.locator(".nvc-error").wait_for(timeout=15_000)

    # Semantics the audit cannot judge by itself.
    assert widget.locator(".nvc-pill").get_attribute("role") == "status"
    assert widget.locator(".nvc-pill").get_attribute("aria-live") == "polite"
    meters = widget.locator("[role=meter]")
    assert meters.count() == 2 + nb.probe("len(chat.emotions)")
    first_bar = widget.locator(".nvc-bar").first
    assert first_bar.get_attribute("aria-label") == nb.probe("chat.emotions[0]['name']")
    score = nb.probe("chat.emotions[0]['score']")
    assert first_bar.get_attribute("aria-valuetext") == f"{score:.2f}"
    assert widget.locator(".nvc-meter-track").first.get_attribute("aria-label") == (
        "Microphone level"
    )

    # The transcript overflows and scrolls from the keyboard.
    eventually(
        lambda: transcript.evaluate("(el) => el.scrollHeight > el.clientHeight + 20"),
        timeout=30,
        what="an overflowing transcript",
    )
    transcript.focus()
    page.keyboard.press("Home")
    eventually(lambda: transcript.evaluate("(el) => el.scrollTop === 0"), timeout=10, what="top")
    page.keyboard.press("PageDown")
    eventually(
        lambda: transcript.evaluate("(el) => el.scrollTop > 0"), timeout=10, what="scrolled down"
    )

    page.add_script_tag(path=str(AXE))
    try:
        for theme in THEMES:
            set_theme(page, theme)
            violations = page.evaluate(AUDIT, ROOT)
            assert violations == [], f"{theme}: {violations}"
            ratios = page.evaluate(CONTRAST, ROOT)
            print(theme, ratios)  # the figures, for the record (pytest -s)
            low_text = {k: v for k, v in ratios["text"].items() if v < 4.5}
            low_ui = {k: v for k, v in ratios["ui"].items() if v < 3.0}
            assert not low_text, f"{theme}: text under 4.5:1: {low_text}"
            assert not low_ui, f"{theme}: components under 3:1: {low_ui}"
    finally:
        set_theme(page, "JupyterLab Light")  # the theme is a saved setting: leave it as found
