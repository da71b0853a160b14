// Kernel <-> browser comm messages of the VoiceChat and EmotionPlot widgets. The types and
// guards are generated from their one declaration, nextevi_widgets/_comm.py (`./dev gen`);
// the PCM helpers below are hand-written. Every message carries `kind` (NextEVI wire messages
// use `type`).

export * from "./protocol.generated";

/** Int16 samples from a comm buffer (a DataView over the message's ArrayBuffer). */
export function int16FromBuffer(buffer: DataView | ArrayBuffer | undefined): Int16Array | null {
  if (buffer === undefined) return null;
  if (buffer instanceof ArrayBuffer) return new Int16Array(buffer.slice(0, buffer.byteLength & ~1));
  // Copy: the view's offset may not be 2-byte aligned.
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength & ~1);
  return new Int16Array(bytes.slice().buffer);
}

export function int16FromBase64(text: string): Int16Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length & ~1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Int16Array(bytes.buffer);
}

export function int16ToBase64(pcm: Int16Array): string {
  const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}
