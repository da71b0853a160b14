// Adapter from the browser audio engine (js/audio) to the small surface the UI uses.
import type { AudioBackend } from "./audio_api";

const missing = { code: "audio_error" as const, message: "The audio engine is not available." };

export const audioBackend: AudioBackend = {
  checkEnvironment: () => missing,
  startMic: () => Promise.reject(missing),
  createPlayer: () => Promise.reject(missing),
};
