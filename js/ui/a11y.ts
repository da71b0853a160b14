// Accessibility semantics for the widget's bars: level meters and emotion scores are exposed as
// ARIA meters (0-100) with a label and a spoken value, not only as painted widths.

/** Attributes of an element that shows a 0..1 value as a bar. */
export function meterAttrs(label: string): Record<string, string> {
  return {
    role: "meter",
    "aria-label": label,
    "aria-valuemin": "0",
    "aria-valuemax": "100",
    "aria-valuenow": "0",
    "aria-valuetext": "0%",
  };
}

/**
 * Sets a meter's value from a 0..1 fraction. Written only when the whole percent changes: level
 * meters update at audio-frame rate and attribute writes are not free.
 */
export function setMeterValue(el: Element, fraction: number, text?: string): void {
  const percent = String(Math.round(Math.max(0, Math.min(1, fraction)) * 100));
  const spoken = text ?? `${percent}%`;
  if (el.getAttribute("aria-valuenow") !== percent) el.setAttribute("aria-valuenow", percent);
  if (el.getAttribute("aria-valuetext") !== spoken) el.setAttribute("aria-valuetext", spoken);
}
