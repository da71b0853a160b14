/**
 * Microphone capture processor: native-rate input in, 20 ms 24 kHz Int16 frames posted to the
 * main thread. All signal work is in CaptureCore; this file only adapts it to the worklet API.
 */
import { CaptureCore } from "../audio/capture-core";
import {
  CAPTURE_PROCESSOR,
  type CaptureCommand,
  type CaptureFrameMessage,
  type CaptureProcessorOptions,
} from "./messages";
import { scope, type WorkletProcessorOptions } from "./scope";

class CaptureProcessor extends scope.AudioWorkletProcessor {
  private readonly core: CaptureCore;
  private silence = new Float32Array(0);
  private mix = new Float32Array(128);

  constructor(options?: WorkletProcessorOptions<CaptureProcessorOptions>) {
    super(options);
    this.core = new CaptureCore(scope.sampleRate, options?.processorOptions ?? {});
    this.port.onmessage = (ev: MessageEvent<CaptureCommand>) => {
      const m = ev.data;
      if (m.type === "mute") this.core.setMuted(m.muted);
      else if (m.type === "gate") this.core.setGated(m.gated);
    };
  }

  /** Mono view of the first input; silence when nothing is connected, so frames keep flowing. */
  private monoInput(inputs: Float32Array[][], quantum: number): Float32Array {
    const channels = inputs[0] ?? [];
    const first = channels[0];
    if (!first) {
      if (this.silence.length !== quantum) this.silence = new Float32Array(quantum);
      return this.silence;
    }
    if (channels.length === 1) return first;
    if (this.mix.length !== first.length) this.mix = new Float32Array(first.length);
    this.mix.fill(0);
    for (const ch of channels) for (let i = 0; i < ch.length; i++) this.mix[i]! += ch[i]! / channels.length;
    return this.mix;
  }

  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const input = this.monoInput(inputs, outputs[0]?.[0]?.length ?? 128);
    const frame0 = scope.currentFrame;
    const now = (frame0 + input.length) / scope.sampleRate;
    for (const f of this.core.push(input, frame0)) {
      const msg: CaptureFrameMessage = {
        type: "frame",
        pcm: f.pcm.buffer as ArrayBuffer,
        seq: f.seq,
        t_capture: f.t,
        t_context_now: now,
        rms: f.rms,
      };
      this.port.postMessage(msg, [msg.pcm]);
    }
    return true;
  }
}

scope.registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
