#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

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
