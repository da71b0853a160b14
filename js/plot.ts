// EmotionPlot front end: the kernel renders PNG bytes (the `image` trait, a DataView here) and
// this view shows them in an <img> through a Blob URL.

import type { Render } from "@anywidget/types";

interface PlotModel {
  image: DataView | ArrayBuffer | null;
  width: number;
  alt: string;
}

function pngBytes(data: DataView | ArrayBuffer | null): Uint8Array | null {
  if (data === null || data.byteLength === 0) return null;
  if (data instanceof DataView) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

const render: Render<PlotModel> = ({ model, el }) => {
  const img = document.createElement("img");
  img.className = "nextevi-emotion-plot";
  img.style.maxWidth = "100%";
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

  model.on("change:image", update);
  model.on("change:width", update);
  el.appendChild(img);
  update();
  return () => {
    model.off("change:image", update);
    model.off("change:width", update);
    if (url !== null) URL.revokeObjectURL(url);
  };
};

export default { render };
