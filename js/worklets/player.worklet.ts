/**
 * TTS playback processor: one gapless stream from queued Int16 chunks at the context's rate.
 * All logic is in PlayerCore; this file only adapts it to the worklet API.
 */
import { PlayerCore } from "../audio/player-core";
import { PLAYER_PROCESSOR, type PlayerCommand, type PlayerProcessorOptions } from "./messages";
import { scope, type WorkletProcessorOptions } from "./scope";

class PlayerProcessor extends scope.AudioWorkletProcessor {
  private readonly core: PlayerCore;

  constructor(options?: WorkletProcessorOptions<PlayerProcessorOptions>) {
    super(options);
    const quality = options?.processorOptions?.quality;
    this.core = new PlayerCore(scope.sampleRate, (e) => this.port.postMessage(e), quality ? { quality } : {});
    this.port.onmessage = (ev: MessageEvent<PlayerCommand>) => {
      const m = ev.data;
      switch (m.type) {
        case "chunk":
          this.core.enqueue(
            m.id,
            new Int16Array(m.pcm, 0, m.pcm.byteLength >> 1),
            m.sampleRate,
            m.generationId,
            m.last ?? false,
          );
          break;
        case "flush":
          this.core.flush(m.fadeMs);
          break;
        case "volume":
          this.core.setVolume(m.gain);
          break;
        case "mute":
          this.core.setMuted(m.muted);
          break;
      }
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const channels = outputs[0];
    const first = channels?.[0];
    if (!channels || !first) return true;
    this.core.render(first, scope.currentTime);
    for (let c = 1; c < channels.length; c++) channels[c]!.set(first);
    return true;
  }
}

scope.registerProcessor(PLAYER_PROCESSOR, PlayerProcessor);
