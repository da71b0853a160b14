// Colours of the canvas plot's text, axes and grid, taken from the page: the canvas inherits the
// host's text colour (JupyterLab's --jp-content-font-color1 in an output area, marimo's or VS
// Code's own elsewhere), so the plot follows a light or dark theme. The background stays
// transparent: the host's own background shows through.

export interface PlotTheme {
  text: string;
  grid: string;
}

export const DEFAULT_THEME: PlotTheme = { text: "#444444", grid: "rgba(0, 0, 0, 0.1)" };

/** [r, g, b] of a computed CSS colour `rgb(...)` / `rgba(...)`, or null. */
export function parseRgb(color: string): [number, number, number] | null {
  const match = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(color.trim());
  if (match === null) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** The theme for a plot whose text colour is `color` (a computed CSS colour). */
export function themeFor(color: string): PlotTheme {
  const rgb = parseRgb(color);
  if (rgb === null) return DEFAULT_THEME;
  const [r, g, b] = rgb.map(Math.round) as [number, number, number];
  return { text: `rgb(${r}, ${g}, ${b})`, grid: `rgba(${r}, ${g}, ${b}, 0.15)` };
}

/** True when `color` (a text colour) is light, i.e. the theme is dark. */
export function isLightColor(color: string): boolean {
  const rgb = parseRgb(color);
  if (rgb === null) return false;
  const [r, g, b] = rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 128;
}

/**
 * Calls `onChange` when the page's theme may have changed: JupyterLab switches theme by
 * attributes on <body>, other hosts by classes on <html> or the colour-scheme preference.
 */
export function watchTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  const options = { attributes: true, attributeFilter: ["class", "data-jp-theme-light", "data-theme", "theme"] };
  observer.observe(document.documentElement, options);
  if (document.body) observer.observe(document.body, options);
  const media = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  media?.addEventListener("change", onChange);
  return () => {
    observer.disconnect();
    media?.removeEventListener("change", onChange);
  };
}
