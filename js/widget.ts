// VoiceChat front end (anywidget). Model-wide state — the player, the single mic capture and the
// comm traffic — lives in `initialize`; each view only builds DOM in `render`.

import type { AnyModel, Initialize, Render } from "@anywidget/types";
import type { VoiceModel } from "./model";
import { audioBackend } from "./ui/backend";
import { Controller } from "./ui/controller";
import { renderView } from "./ui/view";

// Keyed by the model's `_token` trait. anywidget hands `initialize` and `render` different proxy
// objects for the same model, so the proxies cannot be the key. The map sits on globalThis so
// that a re-imported module (hot reload, second widget) finds the same entries.
const REGISTRY_KEY = Symbol.for("nextevi_widgets.voice_chat.controllers");
type Registry = Map<string, Controller>;

function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  let map = holder[REGISTRY_KEY];
  if (map === undefined) {
    map = new Map();
    holder[REGISTRY_KEY] = map;
  }
  return map;
}

function controllerFor(model: AnyModel<VoiceModel>): Controller {
  const token = model.get("_token");
  let controller = registry().get(token);
  if (controller === undefined) {
    controller = new Controller(model, audioBackend);
    registry().set(token, controller);
  }
  return controller;
}

const initialize: Initialize<VoiceModel> = ({ model }) => {
  const controller = controllerFor(model);
  return async () => {
    registry().delete(model.get("_token"));
    await controller.dispose();
  };
};

const render: Render<VoiceModel> = ({ model, el }) => renderView(model, el, controllerFor(model));

export default { initialize, render };
