#!/usr/bin/env node
// Browser bundle size of each entry point: esbuild (platform browser, ESM,
// minified, code splitting) from src/, gzip -9. For each entry it reports the
// entry chunk and the total of every chunk the entry can load (its static
// imports and its dynamic imports, recursively): the "total" is what a page
// that uses every feature of the entry downloads, the "entry" what it
// downloads before anything is needed lazily.
//
//   node scripts/size.mjs            prints a table
//   import { measure } from './scripts/size.mjs'   (test/size.test.ts)
//
// Optional peers (openpgp, cloud SDKs) are external: they are not ours.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The browser-capable entry points: package export → source file. */
export const ENTRIES = {
  '.': 'src/index.ts',
  './stores/yaml': 'src/stores/yaml.ts',
  './stores/json': 'src/stores/json.ts',
  './stores/dotenv': 'src/stores/dotenv.ts',
  './stores/ini': 'src/stores/ini.ts',
  './stores/binary': 'src/stores/binary.ts',
  './pgp': 'src/keysources/pgp.ts',
  './aws-kms': 'src/keysources/kms.ts',
  './gcp-kms': 'src/keysources/gcp-kms.ts',
  './azure-kv': 'src/keysources/azure-kv.ts',
  './hc-vault': 'src/keysources/hc-vault.ts',
  './hckms': 'src/keysources/hckms.ts',
};

const EXTERNAL = ['openpgp', '@aws-sdk/*', '@azure/*', 'google-auth-library'];

/**
 * Measure every entry. Returns `{ [exportName]: { entry, total, chunks } }`
 * with gzipped byte counts.
 */
export async function measure(entries = ENTRIES) {
  const out = {};
  for (const [name, file] of Object.entries(entries)) {
    const outdir = mkdtempSync(join(tmpdir(), 'sops-ts-size-'));
    try {
      const r = await build({
        entryPoints: [join(REPO_ROOT, file)],
        bundle: true,
        splitting: true,
        format: 'esm',
        platform: 'browser',
        minify: true,
        write: false,
        metafile: true,
        outdir,
        external: EXTERNAL,
        logLevel: 'silent',
      });
      const gz = new Map(r.outputFiles.map((f) => [relative(REPO_ROOT, f.path), gzipSync(f.contents, { level: 9 }).length]));
      const outputs = r.metafile.outputs;
      const entryOut = Object.keys(outputs).find((o) => outputs[o].entryPoint !== undefined);
      const seen = new Set();
      const visit = (o) => {
        if (seen.has(o)) return;
        seen.add(o);
        for (const i of outputs[o].imports) if (!i.external) visit(i.path);
      };
      visit(entryOut);
      const size = (o) => gz.get(o) ?? 0;
      out[name] = { entry: size(entryOut), total: [...seen].reduce((a, o) => a + size(o), 0), chunks: seen.size };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const m = await measure();
  const kb = (n) => (n / 1024).toFixed(1).padStart(6);
  console.log('entry point         entry KB gz   total KB gz   chunks');
  for (const [name, s] of Object.entries(m)) console.log(`${name.padEnd(20)}${kb(s.entry)}        ${kb(s.total)}        ${s.chunks}`);
}
