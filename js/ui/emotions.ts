// Latest emotion scores as labelled bars.

import type { UiEmotion } from "../model";
import { meterAttrs, setMeterValue } from "./a11y";
import { h } from "./dom";

export function renderEmotions(container: HTMLElement, emotions: UiEmotion[]): void {
  const rows = emotions.map(({ name, score }) => {
    const pct = Math.max(0, Math.min(1, score)) * 100;
    const fill = h("span", { class: "nvc-bar-fill" });
    fill.style.width = `${pct.toFixed(1)}%`;
    const bar = h("span", { class: "nvc-bar", attrs: meterAttrs(name) }, [fill]);
    setMeterValue(bar, score, score.toFixed(2));
    return h("div", { class: "nvc-emotion" }, [
      h("span", { class: "nvc-emotion-name", text: name, attrs: { "aria-hidden": "true" } }),
      bar,
      h("span", { class: "nvc-emotion-score", text: score.toFixed(2), attrs: { "aria-hidden": "true" } }),
    ]);
  });
  container.replaceChildren(...rows);
}
