/** Loads bundled worklet sources into an AudioContext from Blob URLs (see build.mjs for why). */

const loaded = new WeakMap<BaseAudioContext, Map<string, Promise<void>>>();

/** Adds the module `source` to `ctx` once; concurrent and repeated calls share the same load. */
export function loadWorklet(ctx: BaseAudioContext, name: string, source: string): Promise<void> {
  const perContext = loaded.get(ctx) ?? new Map<string, Promise<void>>();
  loaded.set(ctx, perContext);
  let promise = perContext.get(name);
  if (!promise) {
    const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
    promise = ctx.audioWorklet.addModule(url).finally(() => URL.revokeObjectURL(url));
    perContext.set(name, promise);
    promise.catch(() => perContext.delete(name));
  }
  return promise;
}
