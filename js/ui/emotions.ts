// Latest emotion scores as labelled bars.

import type { UiEmotion } from "../model";
import { h } from "./dom";

export function renderEmotions(container: HTMLElement, emotions: UiEmotion[]): void {
  const rows = emotions.map(({ name, score }) => {
    const pct = Math.max(0, Math.min(1, score)) * 100;
    const fill = h("span", { class: "nvc-bar-fill" });
    fill.style.width = `${pct.toFixed(1)}%`;
    return h("div", { class: "nvc-emotion" }, [
      h("span", { class: "nvc-emotion-name", text: name }),
      h("span", { class: "nvc-bar" }, [fill]),
      h("span", { class: "nvc-emotion-score", text: score.toFixed(2) }),
    ]);
  });
  container.replaceChildren(...rows);
}
