#!/usr/bin/env node
// Browser bundle size of each entry point: esbuild (platform browser, ESM,
// minified, code splitting) from src/, gzip -9. For each entry: the entry
// chunk; "up-front", the entry chunk and every chunk it imports statically
// (what a page loads before anything else is needed); "all", every chunk the
// entry can ever load (dynamic imports too: every format, the noble
// fallbacks, SSH crypto, re2js for regexes outside the translated subset).
// The same figures for app-shaped builds (`APPS`: a page importing only
// `decrypt` from the main entry), which get the tree shaking a real app gets.
//
//   node scripts/size.mjs            prints a table
//   import { measure, measureApps } from './scripts/size.mjs'   (test/size.test.ts)
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
 * App-shaped builds: what a page that imports only part of the main entry
 * bundles (the tree shaking a real app gets), as esbuild `stdin` modules
 * resolved from the repository root. `decrypt-only` is issue 6's case: a
 * page that decrypts files and does nothing else.
 */
export const APPS = {
  'decrypt-only': "export { decrypt } from './src/index.ts'",
};

/**
 * Sizes of one build: `entry` (the entry chunk), `upfront` (it and every
 * chunk it imports statically), `decrypt` (issue 6's decrypt path, below),
 * `total` (every chunk it can load), `chunks`; gzipped bytes.
 */
function sizesOf(r, entryPoint) {
  const outputs = r.metafile.outputs;
  const gz = new Map(r.outputFiles.map((f) => [relative(REPO_ROOT, f.path), gzipSync(f.contents, { level: 9 }).length]));
  const staticOnly = new Set();
  const visitStatic = (o) => {
    if (staticOnly.has(o)) return;
    staticOnly.add(o);
    for (const i of outputs[o].imports) if (!i.external && i.kind === 'import-statement') visitStatic(i.path);
  };
  // The entry's own chunk (dynamically imported modules are entry points of their chunks too).
  const entryOut = Object.keys(outputs).find((o) => outputs[o].entryPoint === entryPoint);
  const seen = new Set();
  const visit = (o) => {
    if (seen.has(o)) return;
    seen.add(o);
    for (const i of outputs[o].imports) if (!i.external) visit(i.path);
  };
  visit(entryOut);
  const size = (o) => gz.get(o) ?? 0;
  visitStatic(entryOut);
  // The decrypt path of issue 6's budget: what a page that decrypts and
  // verifies all five formats with age X25519 and post-quantum keys loads
  // when WebCrypto is there: the up-front chunks, every store chunk and
  // the ML-KEM chunk (src/keysources/mlkem768.ts; not the noble fallbacks, SSH, plugins or re2js).
  const inputsOf = (o) => Object.keys(outputs[o].inputs);
  const wanted = (o) =>
    !inputsOf(o).some((f) => f.includes('age-encryption/')) && // typage: SSH and plugin identities only
    inputsOf(o).some((f) => /src\/stores\/(yaml|json|dotenv|ini|binary)\.ts$|src\/keysources\/mlkem768\.ts$/.test(f));
  const decryptPath = new Set(staticOnly);
  for (const o of seen) {
    if (!wanted(o)) continue;
    const stack = [o];
    while (stack.length > 0) {
      const c = stack.pop();
      if (decryptPath.has(c)) continue;
      decryptPath.add(c);
      for (const i of outputs[c].imports) if (!i.external && i.kind === 'import-statement') stack.push(i.path);
    }
  }
  const sum = (set) => [...set].reduce((a, o) => a + size(o), 0);
  return { entry: size(entryOut), decrypt: sum(decryptPath), upfront: sum(staticOnly), total: sum(seen), chunks: seen.size };
}

/** Bundle for the browser as issue 6 measures: ESM, minified, code splitting; nothing written. */
async function bundle(options) {
  const outdir = mkdtempSync(join(tmpdir(), 'sops-ts-size-'));
  try {
    return await build({
      ...options,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      write: false,
      metafile: true,
      outdir,
      absWorkingDir: REPO_ROOT,
      external: EXTERNAL,
      logLevel: 'silent',
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Measure every entry. Returns `{ [exportName]: { entry, upfront, decrypt, total, chunks } }`
 * with gzipped byte counts.
 */
export async function measure(entries = ENTRIES) {
  const out = {};
  for (const [name, file] of Object.entries(entries)) out[name] = sizesOf(await bundle({ entryPoints: [file] }), file);
  return out;
}

/** Measure every app-shaped build ({@link APPS}); same shape as {@link measure}. */
export async function measureApps(apps = APPS) {
  const out = {};
  for (const [name, contents] of Object.entries(apps)) {
    const sourcefile = `${name}.ts`; // the metafile names the stdin entry after it
    out[name] = sizesOf(await bundle({ stdin: { contents, resolveDir: REPO_ROOT, loader: 'ts', sourcefile } }), sourcefile);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const m = { ...(await measure()), ...Object.fromEntries(Object.entries(await measureApps()).map(([k, v]) => [`app: ${k}`, v])) };
  const kb = (n) => (n / 1024).toFixed(1).padStart(6);
  console.log('entry point         entry  up-front  decrypt path  all chunks (KB gzipped)  chunks');
  for (const [name, s] of Object.entries(m)) console.log(`${name.padEnd(20)}${kb(s.entry)}  ${kb(s.upfront)}    ${kb(s.decrypt)}      ${kb(s.total)}                ${s.chunks}`);
}
