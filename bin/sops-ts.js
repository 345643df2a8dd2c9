#!/usr/bin/env node
// The `sops-ts` command: a thin shim over the bundled CLI (scripts/build-cli.mjs),
// one module to load instead of eighty. Node >= 22.1 also keeps V8's compiled
// code between runs (module.enableCompileCache); Node 20 ignores this.
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('../dist/cli.mjs');

const code = await main(process.argv.slice(2), {
  stdout: (d) => process.stdout.write(d),
  stderr: (d) => process.stderr.write(d),
  env: process.env,
  cwd: process.cwd(),
  stdin: async () => {
    const chunks = [];
    for await (const c of process.stdin) chunks.push(c);
    return new Uint8Array(Buffer.concat(chunks));
  },
});
process.exitCode = code;
