/**
 * Microphone capture: getUserMedia -> AudioWorklet at the context's native rate -> 24 kHz PCM16
 * frames of 20 ms delivered to `onFrame`.
 *
 * The AudioContext is never forced to 24 kHz: Firefox refuses to connect a MediaStream source to
 * a context at another rate than the device's. Resampling happens in the worklet instead.
 */
import captureSource from "worklet:capture";
import {
  CAPTURE_PROCESSOR,
  type CaptureCommand,
  type CaptureEvent,
  type CaptureProcessorOptions,
} from "../worklets/messages";
import { ContextClock } from "./clock";
import {
  checkEnvironment,
  EnvironmentError,
  type EnvironmentProblem,
  graphProblem,
  NO_MIC_HINT,
  problemFromMediaError,
} from "./doctor";
import { loadWorklet } from "./worklet-loader";

export interface MicFrame {
  /** 480 samples of 24 kHz mono PCM16 (20 ms). */
  pcm: Int16Array;
  /** Frame counter from 0, without gaps. */
  seq: number;
  /**
   * Page time (ms since the epoch, the `performance.timeOrigin + performance.now()` clock) at
   * which the frame's first sample entered the audio graph. See ContextClock for the method.
   */
  tCapture: number;
  /** RMS (0..1) of the microphone signal in this frame, measured before mute/gate. */
  rms: number;
  /** Page time at which the worklet finished the render quantum that completed the frame. */
  tReady: number;
  /** Page time at which the main thread received the frame. */
  tReceived: number;
}

export interface MicCaptureOptions {
  echoCancellation: boolean;
  noiseSuppression: boolean;
  autoGainControl: boolean;
  deviceId?: string;
  onFrame(frame: MicFrame): void;
  /** Called once per problem: on a failed start (which also rejects) and on later failures. */
  onError(err: EnvironmentProblem): void;
}

export class MicCapture {
  private readonly ctx: AudioContext;
  private readonly stream: MediaStream;
  private readonly source: MediaStreamAudioSourceNode;
  private readonly node: AudioWorkletNode;
  private readonly sink: GainNode;
  private stopped = false;

  private constructor(ctx: AudioContext, stream: MediaStream, source: MediaStreamAudioSourceNode, node: AudioWorkletNode, sink: GainNode) {
    this.ctx = ctx;
    this.stream = stream;
    this.source = source;
    this.node = node;
    this.sink = sink;
  }

  /**
   * Asks for the microphone and starts streaming frames. Call from a user gesture (the
   * AudioContext is created before the first await so the gesture still counts). Rejects with
   * an {@link EnvironmentError} after reporting the problem through `onError`.
   */
  static async start(opts: MicCaptureOptions): Promise<MicCapture> {
    const fail = (problem: EnvironmentProblem, cause?: unknown): never => {
      opts.onError(problem);
      throw new EnvironmentError(problem, { cause });
    };
    const pre = checkEnvironment();
    if (pre) fail(pre);

    let ctx: AudioContext;
    try {
      ctx = new AudioContext({ latencyHint: "interactive" });
    } catch (err) {
      return fail(graphProblem(err), err);
    }
    void ctx.resume().catch(() => undefined);

    let stream: MediaStream | null = null;
    let stage: "mic" | "graph" = "mic";
    try {
      const audio: MediaTrackConstraints = {
        echoCancellation: opts.echoCancellation,
        noiseSuppression: opts.noiseSuppression,
        autoGainControl: opts.autoGainControl,
        channelCount: 1,
      };
      if (opts.deviceId) audio.deviceId = { exact: opts.deviceId };
      stream = await navigator.mediaDevices.getUserMedia({ audio });
      stage = "graph";
      let built: MicCapture;
      try {
        built = await MicCapture.build(ctx, stream);
      } catch (err) {
        // Some browsers refuse a MediaStream whose rate differs from the context's; retry with
        // a context at the track's own rate (still no forced 24 kHz: we resample ourselves).
        const trackRate = stream.getAudioTracks()[0]?.getSettings().sampleRate;
        if (!(err instanceof DOMException && err.name === "NotSupportedError" && trackRate)) throw err;
        void ctx.close().catch(() => undefined);
        ctx = new AudioContext({ latencyHint: "interactive", sampleRate: trackRate });
        void ctx.resume().catch(() => undefined);
        built = await MicCapture.build(ctx, stream);
      }
      built.wire(opts);
      return built;
    } catch (err) {
      stream?.getTracks().forEach((t) => t.stop());
      void ctx.close().catch(() => undefined);
      return fail(stage === "mic" ? problemFromMediaError(err) : graphProblem(err), err);
    }
  }

  private static async build(ctx: AudioContext, stream: MediaStream): Promise<MicCapture> {
    if (!ctx.audioWorklet) throw new Error("this AudioContext has no audioWorklet");
    await loadWorklet(ctx, CAPTURE_PROCESSOR, captureSource);
    const processorOptions: CaptureProcessorOptions = { targetRate: 24000, frameSamples: 480 };
    const source = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, CAPTURE_PROCESSOR, {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      channelCount: 1,
      channelCountMode: "explicit",
      channelInterpretation: "speakers",
      processorOptions,
    });
    // A silent path to the destination keeps the node rendering in every browser.
    const sink = ctx.createGain();
    sink.gain.value = 0;
    source.connect(node);
    node.connect(sink);
    sink.connect(ctx.destination);
    return new MicCapture(ctx, stream, source, node, sink);
  }

  private wire(opts: MicCaptureOptions): void {
    const clock = new ContextClock();
    this.node.port.onmessage = (ev: MessageEvent<CaptureEvent>) => {
      const m = ev.data;
      if (m.type !== "frame" || this.stopped) return;
      const received = performance.timeOrigin + performance.now();
      clock.observe(m.t_context_now, received);
      opts.onFrame({
        pcm: new Int16Array(m.pcm),
        seq: m.seq,
        tCapture: clock.toPageMs(m.t_capture),
        rms: m.rms,
        tReady: clock.toPageMs(m.t_context_now),
        tReceived: received,
      });
    };
    const report = (message: string): void => {
      if (!this.stopped) opts.onError({ code: "audio_error", message: `${message} ${NO_MIC_HINT}` });
    };
    this.node.onprocessorerror = () => report("The audio capture processor failed.");
    for (const track of this.stream.getAudioTracks()) {
      track.onended = () => report("The microphone stopped (unplugged or taken by another application).");
    }
  }

  /** Muted: frames keep flowing but carry silence, so the server's turn detection keeps working. */
  setMuted(muted: boolean): void {
    this.post({ type: "mute", muted });
  }

  /** Half-duplex gate (silence while the assistant speaks), independent of mute. */
  setGated(gated: boolean): void {
    this.post({ type: "gate", gated });
  }

  /** The capture context's state: "running" when audio flows. */
  get state(): string {
    return this.ctx.state;
  }

  /** Sample rate of the capture context (the device's native rate). */
  get inputSampleRate(): number {
    return this.ctx.sampleRate;
  }

  private post(cmd: CaptureCommand): void {
    if (!this.stopped) this.node.port.postMessage(cmd);
  }

  /** Stops the tracks, disconnects the graph and closes the context; idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.node.port.onmessage = null;
    for (const track of this.stream.getTracks()) {
      track.onended = null;
      track.stop();
    }
    this.source.disconnect();
    this.node.disconnect();
    this.sink.disconnect();
    await this.ctx.close().catch(() => undefined);
  }
}
