/**
 * Typed access to the AudioWorkletGlobalScope. TypeScript ships no lib for it, and declaring
 * its globals (`sampleRate`, `currentTime`, ...) globally would leak them into DOM code, so the
 * worklets read them through this object instead.
 */

export interface WorkletProcessor {
  readonly port: MessagePort;
}

export interface WorkletProcessorOptions<P> {
  processorOptions?: P;
}

export interface WorkletProcessorClass {
  new (options?: WorkletProcessorOptions<unknown>): WorkletProcessor;
}

export interface WorkletScope {
  AudioWorkletProcessor: WorkletProcessorClass;
  // `never`: any processor constructor fits, whatever its options type.
  registerProcessor(name: string, processor: new (options?: never) => WorkletProcessor): void;
  readonly sampleRate: number;
  readonly currentFrame: number;
  readonly currentTime: number;
}

export const scope = globalThis as unknown as WorkletScope;
