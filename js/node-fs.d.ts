// The node APIs the protocol test uses to read the golden comm messages shared with pytest
// (tests/fixtures/comm); declared here rather than pulling in all of @types/node.
declare module "node:fs" {
  export function readFileSync(path: URL, encoding: "utf8"): string;
  export function readdirSync(path: URL): string[];
}
