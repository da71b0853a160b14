// Bundles the front end into nextevi_widgets/static/.
//
//   node build.mjs           minified production build
//   node build.mjs --watch   unminified, inline source maps, rebuilds on change
//
// Worklets (js/worklets/<name>.worklet.ts) are compiled by a nested esbuild pass into
// self-contained scripts and exposed to the main bundle as the virtual module
// "worklet:<name>" (default export: the source text). anywidget loads the widget module from a
// Blob URL, so `import.meta.url` cannot locate sibling files; the worklets are loaded at run
// time from Blob URLs made from these strings instead.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const root = path.dirname(fileURLToPath(import.meta.url));
const staticDir = path.join(root, "nextevi_widgets", "static");

/** Optional entries are built only when their source exists. */
const ENTRIES = [
  { in: "js/widget.ts", out: "voice_chat", required: true },
  { in: "js/plot.ts", out: "emotion_plot" },
  { in: "js/widget.css", out: "voice_chat" },
];

/** Compiles js/worklets/<name>.worklet.ts to one script; returns its text and input files. */
export async function buildWorklet(name, { dev = false } = {}) {
  const entry = path.join(root, "js", "worklets", `${name}.worklet.ts`);
  if (!existsSync(entry)) throw new Error(`no worklet source ${path.relative(root, entry)}`);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    // An IIFE is valid as the module script addModule() expects and has no imports or exports.
    format: "iife",
    target: "es2022",
    minify: !dev,
    sourcemap: dev ? "inline" : false,
    legalComments: "none",
    metafile: true,
    logLevel: "silent",
  });
  return {
    code: result.outputFiles[0].text,
    inputs: Object.keys(result.metafile.inputs).map((p) => path.resolve(root, p)),
  };
}

/** esbuild plugin resolving `worklet:<name>` imports to the compiled worklet source text. */
export function workletPlugin({ dev = false } = {}) {
  return {
    name: "worklet",
    setup(build) {
      build.onResolve({ filter: /^worklet:/ }, (args) => ({
        path: args.path.slice("worklet:".length),
        namespace: "worklet",
      }));
      build.onLoad({ filter: /.*/, namespace: "worklet" }, async (args) => {
        try {
          const { code, inputs } = await buildWorklet(args.path, { dev });
          return { contents: `export default ${JSON.stringify(code)};`, loader: "js", watchFiles: inputs };
        } catch (err) {
          if (err && Array.isArray(err.errors)) return { errors: err.errors };
          return { errors: [{ text: String(err?.message ?? err) }] };
        }
      });
    },
  };
}

function options(dev) {
  const entryPoints = ENTRIES.filter((e) => {
    const present = existsSync(path.join(root, e.in));
    if (!present && e.required) throw new Error(`missing entry point ${e.in}`);
    return present;
  }).map((e) => ({ in: e.in, out: e.out }));
  return {
    absWorkingDir: root,
    entryPoints,
    outdir: staticDir,
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: !dev,
    sourcemap: dev ? "inline" : false,
    legalComments: dev ? "inline" : "none",
    define: { "define.amd": "false" },
    plugins: [workletPlugin({ dev })],
    metafile: true,
    logLevel: dev ? "info" : "warning",
  };
}

async function main() {
  const watch = process.argv.includes("--watch");
  if (watch) {
    const ctx = await esbuild.context(options(true));
    await ctx.watch();
    console.log(`watching; writing to ${path.relative(root, staticDir)}/`);
    return;
  }
  const result = await esbuild.build(options(false));
  for (const file of Object.keys(result.metafile.outputs)) {
    const kb = (statSync(path.join(root, file)).size / 1024).toFixed(1);
    console.log(`${file}  ${kb} KiB`);
  }
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  main().catch((err) => {
    if (!err?.errors) console.error(err);
    process.exit(1);
  });
}
