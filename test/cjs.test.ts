// CommonJS consumers: `require('sops-ts')` works on Node >= 20.19 (require of
// ESM), for the root entry, the node entry and a store entry; the package
// then decrypts the example file. Run as a user would: the built package
// linked into another directory's node_modules, a .cjs script.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/sops.js';

describe('CommonJS', () => {
  it('require() of every entry point works and decrypts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sops-ts-cjs-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'sops-ts'));
    const pkg = require(join(REPO_ROOT, 'package.json')) as { exports: Record<string, unknown> };
    const entries = Object.keys(pkg.exports).filter((e) => e !== './package.json').map((e) => (e === '.' ? 'sops-ts' : `sops-ts/${e.slice(2)}`));
    writeFileSync(
      join(dir, 'main.cjs'),
      `const fs = require('node:fs');
const loaded = ${JSON.stringify(entries)}.map((e) => [e, Object.keys(require(e)).length]);
const { decrypt } = require('sops-ts');
const key = fs.readFileSync(${JSON.stringify(join(REPO_ROOT, 'examples', 'age.key'))}, 'utf8');
const id = /^AGE-SECRET-KEY-1\\S+$/m.exec(key)[0];
decrypt(fs.readFileSync(${JSON.stringify(join(REPO_ROOT, 'examples', 'secret.enc.yaml'))}, 'utf8'), { format: 'yaml', ageIdentities: [id] })
  .then((out) => console.log(JSON.stringify({ loaded, kind: out.split('\\n')[1] })));
`,
    );
    const r = spawnSync(process.execPath, ['main.cjs'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { loaded: [string, number][]; kind: string };
    expect(out.kind).toBe('kind: Secret');
    expect(out.loaded.map(([e]) => e)).toEqual(entries);
    for (const [e, n] of out.loaded) expect(n, e).toBeGreaterThan(0);
  });

  it('in Node, the root entry resolves to dist/node/auto.js: node:crypto, never WebCrypto, for values, MAC and age', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sops-ts-auto-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'sops-ts'));
    // Every WebCrypto operation throws: the decrypt only succeeds if none is used.
    writeFileSync(
      join(dir, 'main.mjs'),
      `import { readFileSync } from 'node:fs';
for (const op of ['encrypt', 'decrypt', 'digest', 'importKey', 'deriveBits', 'sign']) crypto.subtle[op] = () => { throw new Error('WebCrypto used: ' + op); };
const { decrypt } = await import('sops-ts');
const id = /^AGE-SECRET-KEY-1\\S+$/m.exec(readFileSync(${JSON.stringify(join(REPO_ROOT, 'examples', 'age.key'))}, 'utf8'))[0];
const out = await decrypt(readFileSync(${JSON.stringify(join(REPO_ROOT, 'examples', 'secret.enc.yaml'))}, 'utf8'), { format: 'yaml', ageIdentities: [id] });
console.log(import.meta.resolve('sops-ts').replace(/^.*\\/dist\\//, 'dist/') + ' ' + out.split('\\n')[1]);
`,
    );
    const r = spawnSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('dist/node/auto.js kind: Secret');
  });
});
