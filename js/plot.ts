// EmotionPlot front end. With renderer "browser" the kernel sends `frame` messages (the visible
// data as binary buffers) and this view draws them on a canvas (js/plot/); with "png" the
// kernel renders PNG bytes (the `image` trait) and this view shows them through a Blob URL.
// Until a first frame arrives the PNG (drawn at display time) is shown in both modes.

import type { AnyModel, Render } from "@anywidget/types";
import { drawFrame } from "./plot/canvas";
import { decodeFrame, type PlotFrame } from "./plot/frame";
import { checkPlotKernelMessage, type PlotBrowserMessage, type PlotKernelMessage } from "./protocol";
import { isLightColor, themeFor, watchTheme } from "./plot/theme";

interface PlotModel {
  image: DataView | ArrayBuffer | null;
  renderer: "browser" | "png";
  width: number;
  height: number;
  alt: string;
}

function pngBytes(data: DataView | ArrayBuffer | null): Uint8Array | null {
  if (data === null || data.byteLength === 0) return null;
  if (data instanceof DataView) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** The <img> showing the `image` trait; returns its updater and disposer. */
function pngView(model: AnyModel<PlotModel>, img: HTMLImageElement): { update: () => void; dispose: () => void } {
  let url: string | null = null;
  const update = (): void => {
    const bytes = pngBytes(model.get("image"));
    const previous = url;
    url = bytes === null ? null : URL.createObjectURL(new Blob([bytes.slice()], { type: "image/png" }));
    // Revoke the old URL only once the new image is shown, so redraws never flash blank.
    img.onload = () => {
      if (previous !== null) URL.revokeObjectURL(previous);
    };
    if (url === null) {
      img.removeAttribute("src");
      if (previous !== null) URL.revokeObjectURL(previous);
    } else {
      img.src = url;
    }
    img.style.width = `${model.get("width")}px`;
    img.alt = model.get("alt");
  };
  return {
    update,
    dispose: () => {
      if (url !== null) URL.revokeObjectURL(url);
    },
  };
}

const render: Render<PlotModel> = ({ model, el }) => {
  const img = document.createElement("img");
  img.className = "nextevi-emotion-plot";
  img.style.maxWidth = "100%";
  const canvas = document.createElement("canvas");
  canvas.className = "nextevi-emotion-plot-canvas";
  canvas.setAttribute("role", "img");
  const error = document.createElement("div");
  error.className = "nextevi-emotion-plot-error";
  // The page's text colour (readable in any theme), marked by an error-coloured rule.
  error.style.borderLeft = "3px solid var(--jp-error-color1, #b00020)";
  error.style.paddingLeft = "6px";
  const png = pngView(model, img);
  const send = (msg: PlotBrowserMessage): void => model.send(msg);
  let frame: PlotFrame | null = null;

  const draw = (): void => {
    const browser = model.get("renderer") === "browser" && frame !== null;
    canvas.style.display = browser ? "" : "none";
    img.style.display = browser ? "none" : "";
    canvas.setAttribute("aria-label", model.get("alt"));
    if (!browser || frame === null) return;
    const width = model.get("width");
    const height = model.get("height");
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const ctx = canvas.getContext("2d");
    if (ctx === null) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    drawFrame(ctx, frame, width, height, themeFor(getComputedStyle(canvas).color));
  };

  // The kernel renders PNGs (renderer "png", area and heatmap styles) for the page's theme.
  let dark: boolean | null = null;
  const onTheme = (): void => {
    const now = isLightColor(getComputedStyle(el).color);
    if (now !== dark) {
      dark = now;
      send({ kind: "theme", dark: now });
    }
    draw();
  };
  const onMessage = (content: unknown, buffers: readonly (DataView | ArrayBuffer)[]): void => {
    const problem = checkPlotKernelMessage(content);
    if (problem !== null) {
      // Keep the last good frame on screen and say what was wrong with the message.
      error.textContent = `emotion plot: the kernel sent a message this page cannot use (${problem.message})`;
      return;
    }
    try {
      frame = decodeFrame(content as PlotKernelMessage, buffers ?? []);
      error.textContent = "";
      draw();
    } catch (exc) {
      // Keep the last good frame on screen and say what was wrong with the new one.
      error.textContent = exc instanceof Error ? exc.message : String(exc);
    }
  };

  const onOption = (): void => {
    png.update();
    draw();
  };
  model.on("change:image", png.update);
  model.on("change:width", onOption);
  model.on("change:height", onOption);
  model.on("change:renderer", onOption);
  model.on("msg:custom", onMessage);
  el.append(img, canvas, error);
  png.update();
  draw();
  // Ask for the current frame: this view may appear long after the data did.
  send({ kind: "ready" });
  // The view is in the page from the next frame on: its inherited colours are final then.
  const firstTheme = requestAnimationFrame(onTheme);
  const unwatch = watchTheme(onTheme);
  return () => {
    cancelAnimationFrame(firstTheme);
    unwatch();
    model.off("change:image", png.update);
    model.off("change:width", onOption);
    model.off("change:height", onOption);
    model.off("change:renderer", onOption);
    model.off("msg:custom", onMessage);
    png.dispose();
  };
};

export default { render };
