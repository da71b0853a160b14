// Worklet sources, compiled by build.mjs (and vitest.config.ts) into self-contained scripts and
// imported as strings: anywidget loads our bundle from a Blob URL, so sibling files cannot be
// located at run time and worklets are loaded from Blob URLs made from these strings.
declare module "worklet:capture" {
  const source: string;
  export default source;
}

declare module "worklet:player" {
  const source: string;
  export default source;
}
