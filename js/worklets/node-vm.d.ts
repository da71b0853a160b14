// The one node API the worklet tests use (evaluating the bundled worklet text in an empty
// context); declared here rather than pulling in all of @types/node.
declare module "node:vm" {
  export function runInNewContext(code: string, contextObject?: Record<string, unknown>): unknown;
}
