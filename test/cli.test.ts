// The CLI as users run it: the README's main job through the built bin, and
// decrypt/encrypt with sops's flags, exit codes and messages. Where the real
// sops is installed, its exit code and stderr for the same case are compared.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { REPO_ROOT, cleanHomeDir, requireSops, loadManifest, readVector, runSops, vectorPath } from './helpers/sops.js';

const manifest = loadManifest();
const key1 = vectorPath(manifest.keys['age-1']!.file);
const r1 = manifest.keys['age-1']!.recipient;
const dir = mkdtempSync(join(tmpdir(), 'sops-ts-cli-'));
const home = cleanHomeDir(); // the same empty HOME the sops runs get, so paths in messages agree

async function run(args: string[], env: Record<string, string> = {}) {
  const out: (Uint8Array | string)[] = [];
  let err = '';
  const code = await main(args, {
    stdout: (d) => out.push(d),
    stderr: (d) => (err += d),
    env: { HOME: home, PATH: process.env.PATH, ...env },
    cwd: REPO_ROOT,
  });
  return { code, stdout: Buffer.concat(out.map((d) => (typeof d === 'string' ? Buffer.from(d) : Buffer.from(d)))), stderr: err };
}

// Live comparisons need the pinned Go sops: skipped with a visible message without it, a failure under SOPS_TS_REQUIRE_SOPS=1.
const sops = requireSops();

/**
 * Same exit code and stderr as Go sops for the same arguments (when it is
 * installed). With `echoesInput`, sops's message ends by quoting the
 * offending input line (which may hold a secret); ours names the line
 * instead, so only the text before that quote must agree.
 */
async function sameAsSops(args: string[], env: Record<string, string> = {}, echoesInput = false) {
  const ours = await run(args, env);
  if (sops !== undefined) {
    const theirs = runSops(args, { env, cwd: REPO_ROOT });
    expect(ours.code).toBe(theirs.code);
    if (echoesInput) {
      const prefix = theirs.stderr.slice(0, theirs.stderr.lastIndexOf(': '));
      expect(ours.stderr.startsWith(prefix)).toBe(true);
    } else {
      expect(ours.stderr).toBe(theirs.stderr);
    }
  }
  return ours;
}

describe('README main job', () => {
  it('npx sops-ts decrypt examples/secret.enc.yaml with the example key', () => {
    const binJs = join(REPO_ROOT, 'bin', 'sops-ts.cjs');
    expect(existsSync(join(REPO_ROOT, 'dist', 'cli.cjs'))).toBe(true); // npm test builds the bundled CLI first
    const r = spawnSync(process.execPath, [binJs, 'decrypt', 'examples/secret.enc.yaml'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: home, SOPS_AGE_KEY_FILE: 'examples/age.key' },
    });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain('kind: Secret');
    expect(out).toMatch(/postgres-password: \S+/);
    expect(out).not.toContain('ENC[');
  });
});

describe('bin/sops-ts.cjs: what the bundle loads from outside it', () => {
  // The bundle turns import() of packages outside it into require() (scripts/build-cli.mjs):
  // typage (ESM-only, through require(esm)) for SSH identities, re2js for a path_regex
  // outside the RegExp subset. Run through the real bin, not main().
  it('an SSH identity (typage) and a re2js-only path_regex work, with nothing on stderr', () => {
    const d = mkdtempSync(join(tmpdir(), 'sops-ts-bin-ext-'));
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'k')]);
    writeFileSync(join(d, 'p.yaml'), 'a: b\n');
    writeFileSync(join(d, '.sops.yaml'), `creation_rules:\n  - path_regex: (?i)\\p{Greek}*p\\.yaml$\n    age: ${readFileSync(join(d, 'k.pub'), 'utf8').trim()}\n`);
    const bin = join(REPO_ROOT, 'bin', 'sops-ts.cjs');
    const env = { PATH: process.env.PATH, HOME: d, SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(d, 'k') };
    const enc = spawnSync(process.execPath, [bin, 'encrypt', 'p.yaml'], { cwd: d, env, encoding: 'utf8' });
    expect(enc.stderr).toBe('');
    expect(enc.status).toBe(0);
    expect(enc.stdout).toContain('recipient: ssh-ed25519 ');
    writeFileSync(join(d, 'e.yaml'), enc.stdout);
    const dec = spawnSync(process.execPath, [bin, 'decrypt', 'e.yaml'], { cwd: d, env, encoding: 'utf8' });
    expect(dec.stderr).toBe('');
    expect(dec.stdout).toBe('a: b\n');
  });
});

describe('bin/sops-ts.cjs compile cache', () => {
  const bin = join(REPO_ROOT, 'bin', 'sops-ts.cjs');
  const decryptWith = (cacheDir: string, extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, 'decrypt', 'examples/secret.enc.yaml'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: home, SOPS_AGE_KEY_FILE: 'examples/age.key', SOPS_TS_COMPILE_CACHE: cacheDir, ...extra },
      encoding: 'utf8',
    });
  const entries = (d: string) => (existsSync(d) ? readdirSync(d).filter((n) => n.endsWith('.v8cache')) : []);
  // Node >= 22.1 has its own compile cache (module.enableCompileCache), which the bin uses instead.
  const ownCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache !== 'function';

  it.runIf(ownCache)('is written after the first run (0600, in a 0700 directory) and used by the next, with the same output', () => {
    const d = join(mkdtempSync(join(tmpdir(), 'sops-ts-cc-')), 'cache');
    const first = decryptWith(d);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const [entry] = entries(d);
    expect(entry).toMatch(new RegExp(`^cli-\\d+-\\d+-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8cache$`));
    expect(statSync(join(d, entry!)).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    const before = statSync(join(d, entry!)).mtimeMs;
    const second = decryptWith(d);
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(statSync(join(d, entry!)).mtimeMs).toBe(before); // accepted, not rewritten
  });

  it.runIf(ownCache)('a damaged entry is rejected by V8 and rewritten; the command is unaffected', () => {
    const d = join(mkdtempSync(join(tmpdir(), 'sops-ts-cc-')), 'cache');
    const good = decryptWith(d);
    const [entry] = entries(d);
    writeFileSync(join(d, entry!), Buffer.alloc(4096, 0x5a));
    const again = decryptWith(d);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(good.stdout);
    expect(readFileSync(join(d, entry!)).subarray(0, 16).equals(Buffer.alloc(16, 0x5a))).toBe(false);
  });

  it('is not used in a directory other users can write to, nor with NODE_DISABLE_COMPILE_CACHE', () => {
    const d = join(mkdtempSync(join(tmpdir(), 'sops-ts-cc-')), 'cache');
    mkdirSync(d);
    chmodSync(d, 0o777);
    const r = decryptWith(d);
    expect(r.status).toBe(0);
    expect(entries(d)).toEqual([]);
    const off = join(mkdtempSync(join(tmpdir(), 'sops-ts-cc-')), 'cache');
    expect(decryptWith(off, { NODE_DISABLE_COMPILE_CACHE: '1' }).status).toBe(0);
    expect(entries(off)).toEqual([]);
  });
});

describe('sops-ts decrypt / encrypt', () => {
  const v = manifest.vectors.find((x) => x.format === 'yaml' && x.setting === 'encrypted_regex' && x.input.includes('k8s-secret-stringdata') && x.recipients.length === 1)!;

  it('decrypt prints what sops decrypt prints', async () => {
    const r = await run(['decrypt', join('vectors', v.encrypted!)], { SOPS_AGE_KEY_FILE: key1 });
    expect(r.code).toBe(0);
    expect(r.stdout.equals(readVector(v.decrypted!))).toBe(true);
    const legacy = await run(['-d', join('vectors', v.encrypted!)], { SOPS_AGE_KEY: readFileSync(key1, 'utf8') });
    expect(legacy.stdout.equals(readVector(v.decrypted!))).toBe(true);
  });

  it('encrypt then decrypt, with --output and type flags', async () => {
    const plain = join(dir, 'plain.txt');
    writeFileSync(plain, '{"a": 1, "data": {"x": "y"}}');
    const out = join(dir, 'out.enc.json');
    const e = await run(['encrypt', '--age', r1, '--encrypted-regex', '^data$', '--input-type', 'json', '--output', out, plain]);
    expect(e.stderr).toBe('');
    expect(e.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('"a": 1');
    expect(text).toContain('"encrypted_regex": "^data$"');
    const d = await run(['decrypt', out], { SOPS_AGE_KEY_FILE: key1 });
    expect(d.stdout.toString()).toBe('{\n\t"a": 1,\n\t"data": {\n\t\t"x": "y"\n\t}\n}\n');
    if (sops !== undefined) {
      const s = runSops(['decrypt', out], { env: { SOPS_AGE_KEY_FILE: key1 } });
      expect(s.code).toBe(0);
      expect(s.stdout.equals(d.stdout)).toBe(true);
    }
  });

  it('SOPS_AGE_RECIPIENTS and --in-place', async () => {
    const f = join(dir, 'inplace.yaml');
    writeFileSync(f, 'password: hunter2\n');
    expect((await run(['encrypt', '-i', f], { SOPS_AGE_RECIPIENTS: r1 })).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toMatch(/^password: ENC\[AES256_GCM,/);
    expect((await run(['decrypt', '--in-place', f], { SOPS_AGE_KEY_FILE: key1 })).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe('password: hunter2\n');
  });

  it.each([
    ['no key available', () => ['decrypt', join('vectors', v.encrypted!)], {}],
    ['a plaintext file', () => ['decrypt', join('vectors', v.input)], { SOPS_AGE_KEY_FILE: key1 }],
    ['a missing file', () => ['decrypt', 'vectors/does-not-exist.yaml'], {}],
    ['an encrypted file to encrypt again', () => ['encrypt', '--age', r1, join('vectors', v.encrypted!)], {}],
    ['conflicting rules', () => ['encrypt', '--age', r1, '--encrypted-regex', 'a', '--unencrypted-suffix', 'b', join('vectors', v.input)], {}],
    ['no recipients', () => ['encrypt', join('vectors', v.input)], {}],
    ['a bogus recipient', () => ['encrypt', '--age', 'bogus', join('vectors', v.input)], {}],
  ] as const)('%s: same exit code and message as sops', async (_name, args, env) => {
    const r = await sameAsSops([...args()], { ...env });
    expect(r.code).not.toBe(0);
    expect(r.stderr.length).toBeGreaterThan(0);
  });

  it.each([
    ['decrypt: YAML syntax error', 'bad.enc.yaml', 'a: [\nsops: {}\n', ['decrypt']],
    ['decrypt: metadata with a bad time', 'badtime.enc.yaml', 'a: 1\nsops:\n    lastmodified: yesterday\n    mac: ""\n    age:\n        - recipient: x\n          enc: y\n', ['decrypt']],
    ['decrypt: YAML read as binary output (the hint)', 'tree.enc', 'a: ENC[x]\nsops:\n    lastmodified: "2026-01-01T00:00:00Z"\n', ['decrypt', '--input-type', 'yaml']],
    ['encrypt: YAML syntax error', 'bad.yaml', 'a: [\n', ['encrypt', '--age', r1]],
    ['encrypt: JSON top-level array', 'arr.json', '[1, 2]', ['encrypt', '--age', r1]],
    ['encrypt: a dotenv line without =', 'bad.env', 'A=1\nnope\n', ['encrypt', '--age', r1]],
    ['decrypt: INI syntax error', 'bad.enc.ini', '[sops\n', ['decrypt']],
    ['misspelt --input-type falls back to the file name', 'plain.yaml', 'a: 1\n', ['encrypt', '--input-type', 'yml', '--age', r1]],
  ] as const)('%s: same message and exit code as sops', async (_n, name, text, args) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    const r = await sameAsSops([...args, f], { SOPS_AGE_KEY_FILE: key1 }, name === 'bad.env' || name === 'bad.enc.ini');
    if (!_n.startsWith('misspelt')) expect(r.code).not.toBe(0);
  });

  it('tampering: MAC mismatch exits 51, a flipped value 25', async () => {
    const enc = readVector(v.encrypted!).toString();
    const t1 = join(dir, 'tampered.enc.yaml');
    writeFileSync(t1, enc.replace(/^kind: Secret$/m, 'kind: Secreu'));
    const a = await sameAsSops(['decrypt', t1], { SOPS_AGE_KEY_FILE: key1 });
    expect(enc).toMatch(/^kind: Secret$/m);
    expect(a.code).toBe(51);
    const t2 = join(dir, 'flipped.enc.yaml');
    const data = enc.slice(0, enc.indexOf('\nsops:'));
    const flipped = data.replace(/^(\s*[\w-]+: ENC\[AES256_GCM,data:)([A-Za-z0-9+/])/m, (_m, pre: string, c: string) => `${pre}${c === 'A' ? 'B' : 'A'}`);
    expect(flipped).not.toBe(data);
    writeFileSync(t2, flipped + enc.slice(data.length));
    const b = await sameAsSops(['decrypt', t2], { SOPS_AGE_KEY_FILE: key1 });
    expect(b.code).toBe(25);
  });
});

describe('--help', () => {
  it('the main help lists every command', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    const { COMMANDS } = await import('../src/cli/commands/index.js');
    for (const name of Object.keys(COMMANDS)) expect(r.stdout.toString(), name).toMatch(new RegExp(`^   ${name} `, 'm'));
  });

  it('COMMAND --help lists every flag the command takes', async () => {
    const { COMMANDS } = await import('../src/cli/commands/index.js');
    for (const [name, cmd] of Object.entries(COMMANDS)) {
      const r = await run([name, '--help']);
      expect(r.code, name).toBe(0);
      for (const f of [...(cmd.valueFlags ?? []), ...(cmd.boolFlags ?? [])]) expect(r.stdout.toString(), `${name} --${f}`).toContain(`--${f}`);
    }
  });

  it('docs/cli.md names every command', async () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'cli.md'), 'utf8');
    const { COMMANDS } = await import('../src/cli/commands/index.js');
    for (const name of Object.keys(COMMANDS)) expect(doc, name).toContain(`\`${name}`);
  });
});
