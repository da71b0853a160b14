import { defineConfig } from "vitest/config";
// @ts-expect-error build.mjs is plain JavaScript without type declarations
import { buildWorklet } from "./build.mjs";

const PREFIX = "worklet:";

export default defineConfig({
  plugins: [
    {
      // Same `worklet:<name>` virtual modules as the esbuild build, so code importing them runs
      // in tests too (and tests can evaluate the real, bundled worklet source).
      name: "worklet",
      resolveId(id: string) {
        return id.startsWith(PREFIX) ? `\0${id}` : null;
      },
      async load(id: string) {
        if (!id.startsWith(`\0${PREFIX}`)) return null;
        const { code } = await buildWorklet(id.slice(PREFIX.length + 1));
        return `export default ${JSON.stringify(code)};`;
      },
    },
  ],
  test: {
    environment: "node",
    include: ["js/**/*.test.ts"],
  },
});
