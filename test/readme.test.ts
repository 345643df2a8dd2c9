// The README's examples, run as a user would: the built package imported by
// its name from another directory, with the example key.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/sops.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const keyText = readFileSync(join(REPO_ROOT, 'examples', 'age.key'), 'utf8');
const identity = /^AGE-SECRET-KEY-1\S+$/m.exec(keyText)![0];
const recipient = /# public key: (age1\S+)/.exec(keyText)![1]!;

function runAsUser(code: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sops-ts-readme-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'sops-ts'));
  writeFileSync(join(dir, 'example.mjs'), code);
  return spawnSync(process.execPath, ['example.mjs'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, ...env }, encoding: 'utf8' });
}

describe('README', () => {
  it('the library example prints true', () => {
    const block = /```ts\n(import \{ encrypt, decrypt \} from 'sops-ts';[\s\S]*?)```/.exec(readme)![1]!;
    const code = block.replace("'age1…'", JSON.stringify(recipient)).replace("'AGE-SECRET-KEY-1…'", JSON.stringify(identity));
    const r = runAsUser(code);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true\n');
  });

  it('the sops-ts/node example decrypts the example file with SOPS_AGE_KEY_FILE', () => {
    const block = /```ts\n(import \{ decryptFile \} from 'sops-ts\/node';[\s\S]*?)```/.exec(readme)![1]!;
    const code = block.replace("'secret.enc.yaml'", JSON.stringify(join(REPO_ROOT, 'examples', 'secret.enc.yaml'))) + '\nprocess.stdout.write(bytes);\n';
    const r = runAsUser(code, { SOPS_AGE_KEY_FILE: join(REPO_ROOT, 'examples', 'age.key') });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('postgres-password: correct-horse-battery-staple');
  });

  it('decryptToObject gives plain JavaScript', () => {
    const code = `import { decryptToObject } from 'sops-ts';
import { readFileSync } from 'node:fs';
const o = await decryptToObject(readFileSync(${JSON.stringify(join(REPO_ROOT, 'examples', 'secret.enc.yaml'))}), { format: 'yaml', ageIdentities: [${JSON.stringify(identity)}] });
console.log(JSON.stringify(o.stringData));`;
    const r = runAsUser(code);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ 'postgres-user': 'app', 'postgres-password': 'correct-horse-battery-staple', database: 'orders' });
  });
});

describe('README entry points', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const imports = [...readme.matchAll(/import \{ ([^}]+) \} from '(sops-ts[^']*)'/g)].map((m) => ({ names: m[1]!.split(',').map((n) => n.trim()), from: m[2]! }));

  it.each(imports.map((i) => [`${i.from}: ${i.names.join(', ')}`, i] as const))('%s resolves in the built package', async (_n, i) => {
    expect(Object.hasOwn(pkg.exports, i.from === 'sops-ts' ? '.' : `./${i.from.slice('sops-ts/'.length)}`)).toBe(true);
    const code = `const m = await import(${JSON.stringify(i.from)}); process.stdout.write(JSON.stringify(${JSON.stringify(i.names)}.filter((n) => !(n in m))));`;
    const r = runAsUser(code);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('[]');
  });

  it('the table names every entry point of package.json', () => {
    for (const name of Object.keys(pkg.exports)) {
      if (name === './package.json') continue;
      const spec = name === '.' ? '`sops-ts`' : `sops-ts/${name.slice(2)}`;
      const listed = readme.includes(spec) || (name.startsWith('./stores/') && readme.includes('sops-ts/stores/{yaml,json,dotenv,ini,binary}'));
      expect(listed, name).toBe(true);
    }
  });
});
