/** Public surface of the browser audio engine. */
export { type MicCaptureOptions, MicCapture, type MicFrame } from "./capture";
export { AudioWatchdog, type MicHealth, type OutputHealth, type WatchdogOptions } from "./watchdog";
export {
  checkEnvironment,
  checkPlayback,
  EnvironmentError,
  type EnvironmentProblem,
  type EnvironmentProblemCode,
  problemFromMediaError,
} from "./doctor";
export { floatToInt16, Framer, int16ToFloat, peakDb, rms, StreamingResampler, toDb } from "./pcm";
export {
  type EnqueueOptions,
  type PlaybackProgress,
  type PlaybackStats,
  TtsPlayer,
  type TtsPlayerCallbacks,
} from "./playback";
