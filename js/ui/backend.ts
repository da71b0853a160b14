// Adapter from the browser audio engine (js/audio) to the small surface the UI uses.
import { MicCapture } from "../audio/capture";
import { checkEnvironment, checkPlayback } from "../audio/doctor";
import { TtsPlayer } from "../audio/playback";
import type { AudioBackend } from "./audio_api";

export const audioBackend: AudioBackend = {
  checkEnvironment: () => checkEnvironment(),
  checkPlayback: () => checkPlayback(),
  startMic: (options) => MicCapture.start(options),
  createPlayer: (callbacks) => TtsPlayer.create(callbacks),
};
