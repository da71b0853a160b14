// The VoiceChat model: mirrors the synced traitlets of nextevi_widgets/_widget/chat.py.

export interface UiMessage {
  id: string;
  role: string;
  text: string;
  interrupted: boolean;
  heard_text: string | null;
}

export interface UiEmotion {
  name: string;
  score: number;
}

export type EchoStrategy = "aec" | "half-duplex" | "headphones";

export type VoiceModel = {
  state: string;
  connection_id: string;
  interim_transcript: string;
  assistant_text: string;
  messages: UiMessage[];
  emotions: UiEmotion[];
  is_user_speaking: boolean;
  is_assistant_speaking: boolean;
  last_error: string;
  stats: Record<string, number | boolean>;
  is_emulator: boolean;
  echo_strategy: EchoStrategy;
  echo_cancellation: boolean;
  noise_suppression: boolean;
  auto_gain_control: boolean;
  device_id: string;
  volume: number;
  muted: boolean;
  mic_enabled: boolean;
  binary_buffers: boolean;
  capture_view: string;
  frames_per_message: number;
  _trace: boolean;
  _token: string;
};

/** Capture constraints after applying the echo strategy. */
export function captureConstraints(model: {
  get<K extends keyof VoiceModel>(key: K): VoiceModel[K];
}): { echoCancellation: boolean; noiseSuppression: boolean; autoGainControl: boolean } {
  const strategy = model.get("echo_strategy");
  if (strategy === "headphones") {
    return { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
  }
  return {
    echoCancellation: strategy === "aec" ? true : model.get("echo_cancellation"),
    noiseSuppression: model.get("noise_suppression"),
    autoGainControl: model.get("auto_gain_control"),
  };
}
