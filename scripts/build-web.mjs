#!/usr/bin/env node
// Build the example web page (examples/web/) into one self-contained file,
// examples/web/dist/index.html (git-ignored):
//
//   node scripts/build-web.mjs                  → examples/web/dist/index.html
//   node scripts/build-web.mjs --outdir DIR     → DIR/index.html (the browser test uses a temp dir)
//
// app.ts imports `sops-ts` as an application would; the build points that
// name at src/index.ts, so no `npm run build` is needed first. esbuild
// bundles it for browsers with every dynamic import (the stores that
// `storeFor` loads on demand) inlined, since a lazily fetched chunk would be a
// network request. The script and the style are inlined into index.html, and
// the template's Content Security Policy gets their SHA-256 hashes: they are
// the only things it allows (no connect-src, img-src only data:), so the page
// cannot fetch anything, and works the same from file:// as from a server.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WEB = join(REPO_ROOT, 'examples', 'web');

const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = resolve(values.outdir ?? join(WEB, 'dist'));

const result = await build({
  entryPoints: [join(WEB, 'app.ts')],
  absWorkingDir: REPO_ROOT,
  alias: { 'sops-ts': './src/index.ts' },
  tsconfig: join(WEB, 'tsconfig.json'),
  bundle: true,
  write: false,
  platform: 'browser',
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  minify: true,
  legalComments: 'inline',
  charset: 'utf8',
  logLevel: 'warning',
});
const script = result.outputFiles[0].text.trimEnd();

// Checks that keep the page self-contained and the inline script intact.
if (/<\/script/i.test(script)) throw new Error('build-web: the bundle contains "</script", which would end the inline script');
if (/\bimport\s*\(/.test(script)) throw new Error('build-web: the bundle still has a dynamic import(), which would fetch a chunk');

const style = readFileSync(join(WEB, 'style.css'), 'utf8').trim();
const hash = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const version = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;

const template = readFileSync(join(WEB, 'index.html'), 'utf8');
const slots = { SCRIPT_HASH: hash(script), STYLE_HASH: hash(style), STYLE: style, SCRIPT: script, VERSION: version };
// One pass, so nothing inside the script or the style is taken for a slot.
const html = template
  .replace(/^<!--[\s\S]*?-->\n/m, '')
  .replace(/\{\{([A-Z_]+)\}\}/g, (m, name) => {
    if (!(name in slots)) throw new Error(`build-web: unknown slot ${m} in index.html`);
    return slots[name];
  });

mkdirSync(outdir, { recursive: true });
const out = join(outdir, 'index.html');
writeFileSync(out, html);
console.log(`build-web: wrote ${out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB, script ${(Buffer.byteLength(script) / 1024).toFixed(0)} KiB)`);
