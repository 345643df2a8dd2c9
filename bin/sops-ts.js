#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2), {
  stdout: (d) => process.stdout.write(d),
  stderr: (d) => process.stderr.write(d),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
