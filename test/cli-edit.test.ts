// `sops-ts edit FILE` (and `sops-ts FILE`) against the pinned Go sops: the
// same editor scripts run in identical temporary workspaces, then exit codes,
// stderr and the resulting files (random parts masked) are compared. Values
// the editor did not touch must keep their ciphertext byte for byte. Our
// plaintext must live in a 0600 file in a 0700 directory and be gone after
// every run, including a failing editor and a SIGTERM to the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { REPO_ROOT, cleanSopsEnv, loadManifest, requireSops, runSops, vectorPath } from './helpers/sops.js';

const manifest = loadManifest();
const KEY = vectorPath(manifest.keys['age-1']!.file);
const R1 = manifest.keys['age-1']!.recipient;
const BIN = join(REPO_ROOT, 'bin', 'sops-ts.cjs');
const root = mkdtempSync(join(tmpdir(), 'sops-ts-edit-test-'));
const sops = requireSops();
const live = sops ? it : it.skip;

interface Result {
  code: number;
  stderr: string;
}

/** A workspace: its own TMPDIR (so leftovers are visible), a log for the editor scripts. */
interface Ws {
  dir: string;
  tmp: string;
  log: string;
}
let wsCount = 0;
function workspace(tag: string): Ws {
  const dir = join(root, `${tag}-${wsCount++}`);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  return { dir, tmp: join(dir, 'tmp'), log: join(dir, 'editor.log') };
}

/**
 * An editor script. Before `body` runs, it records the file it was given, the
 * file's mode and its directory's mode in `$EDLOG`; `$f` is the file.
 */
function editor(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(
    p,
    `#!/bin/sh\nfor f; do :; done\nprintf '%s %s %s\\n' "$f" "$(stat -c %a "$f")" "$(stat -c %a "$(dirname "$f")")" >> "$EDLOG"\n[ "$(wc -l < "$EDLOG")" -gt 6 ] && exit 97\n${body}\n`,
    { mode: 0o755 },
  );
  return p;
}

function envFor(ws: Ws, extra: Record<string, string>): Record<string, string> {
  return { SOPS_AGE_KEY_FILE: KEY, TMPDIR: ws.tmp, EDLOG: ws.log, ...extra };
}

async function ours(ws: Ws, args: string[], extra: Record<string, string>): Promise<Result> {
  let stderr = '';
  const code = await main(args, { stdout: () => undefined, stderr: (d) => (stderr += d), env: cleanSopsEnv(envFor(ws, extra)), cwd: ws.dir });
  return { code, stderr };
}
function oursCli(ws: Ws, args: string[], extra: Record<string, string>): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ws.dir, env: cleanSopsEnv(envFor(ws, extra)), input: '' });
  return { code: r.status ?? -1, stderr: r.stderr.toString('utf8') };
}
function theirs(ws: Ws, args: string[], extra: Record<string, string>): Result {
  // like runSops, with a time limit: an editor loop must not hang the suite
  const r = spawnSync(sops!, args, { cwd: ws.dir, env: cleanSopsEnv(envFor(ws, extra)), input: '', timeout: 60_000 });
  return { code: r.status ?? -1, stderr: r.stderr.toString('utf8') };
}

/** Log lines of the editor runs: [path, file mode, dir mode]. */
function editorRuns(ws: Ws): [string, string, string][] {
  if (!existsSync(ws.log)) return [];
  return readFileSync(ws.log, 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string, string]);
}

/** Our temporary files: 0600 in a 0700 directory, named like the target, and gone afterwards; TMPDIR left empty. */
function assertPrivateAndGone(ws: Ws, base: string, runs = 1): void {
  const r = editorRuns(ws);
  expect(r.length).toBe(runs);
  for (const [path, mode, dirMode] of r) {
    expect(mode).toBe('600');
    expect(dirMode).toBe('700');
    expect(path.startsWith(ws.tmp + '/')).toBe(true);
    expect(path.endsWith('/' + base)).toBe(true);
    expect(existsSync(path)).toBe(false);
  }
  expect(readdirSync(ws.tmp)).toEqual([]);
}

const ENC = /ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:([a-z]+)\]/g;
const ARMOR = /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/g;
/** Mask what is random in an edit: ciphertexts not in `original` (changed values, the MAC), times; with `keys`, the wrapped data keys too. */
function mask(text: string, original: string, keys = false): string {
  // The MAC's ciphertext is the stashed one when lastmodified did not change
  // (both runs in the same second as the original) and new otherwise: which
  // one depends on the clock, not on the program, so it is always masked.
  let t = text.replace(/^(\s*"?(?:sops_)?mac"?\s*[:=]\s*"?)ENC\[AES256_GCM,[^\]]*\]/gm, '$1ENC[mac]');
  t = t.replace(ENC, (m, type: string) => (original.includes(m) ? m : `ENC[${type}]`));
  t = t.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME');
  if (keys) t = t.replace(ARMOR, 'AGE');
  return t;
}
function maskLog(s: string): string {
  return s.replace(/time="[^"]*"/g, 'time=T');
}

/** Two identical workspaces holding `name` encrypted by sops from `plain`. */
function pair(tag: string, name: string, plain: string | Buffer, encryptArgs: string[] = []): { a: Ws; b: Ws; original: string } {
  const a = workspace(`${tag}-sops`);
  const b = workspace(`${tag}-ours`);
  writeFileSync(join(a.dir, 'plain-' + name), plain);
  const r = runSops(['encrypt', '--age', R1, ...encryptArgs, '--output', name, 'plain-' + name], { cwd: a.dir });
  if (r.code !== 0) throw new Error(`sops encrypt failed: ${r.stderr}`);
  const original = readFileSync(join(a.dir, name), 'utf8');
  writeFileSync(join(b.dir, name), original);
  return { a, b, original };
}

function read(ws: Ws, name: string): string {
  return readFileSync(join(ws.dir, name), 'utf8');
}
function decryptWithSops(ws: Ws, name: string): string {
  const r = runSops(['decrypt', name], { cwd: ws.dir, env: { SOPS_AGE_KEY_FILE: KEY } });
  expect(r.stderr).toBe('');
  return r.stdout.toString('utf8');
}

const YAML = 'a: 1\nb: hello\nc:\n    - x\n    - y\nd:\n    e: untouched\n';
const JSON_DOC = '{\n\t"a": 1,\n\t"b": "hello",\n\t"c": [\n\t\t"x",\n\t\t"y"\n\t]\n}\n';
const DOTENV = 'A=1\nB=hello\nC=untouched\n';
const INI = '[s]\na = 1\nb = hello\n[t]\nc = untouched\n';

describe('sops-ts edit: existing files, compared with Go sops', () => {
  const changeCases: [string, string, string][] = [
    ['yaml', 'f.yaml', YAML],
    ['json', 'f.json', JSON_DOC],
    ['dotenv', 'f.env', DOTENV],
    ['ini', 'f.ini', INI],
  ];
  for (const [fmt, name, plain] of changeCases) {
    live(`${fmt}: one changed value re-encrypted, the others keep their ciphertext`, async () => {
      const { a, b, original } = pair(`change-${fmt}`, name, plain);
      const sed = editor(a.dir, 'ed.sh', `sed -i 's/hello/world/' "$f"`);
      copyFileSync(sed, join(b.dir, 'ed.sh'));
      const t = theirs(a, ['edit', name], { EDITOR: sed });
      const o = await ours(b, ['edit', name], { EDITOR: join(b.dir, 'ed.sh') });
      expect(o).toEqual(t);
      expect(o.code).toBe(0);
      const mo = mask(read(b, name), original);
      expect(mo).toBe(mask(read(a, name), original));
      // exactly one value and the MAC changed
      expect(mo.match(/ENC\[(str|int|float|bool|comment)\]/g)).toHaveLength(1);
      expect(mo.match(/ENC\[mac\]/g)).toHaveLength(1);
      expect(decryptWithSops(b, name)).toBe(decryptWithSops(a, name));
      expect(decryptWithSops(b, name)).toContain('world');
      assertPrivateAndGone(b, name);
    });
  }

  live('yaml: an editor that changes nothing → exit 200, file untouched', async () => {
    const { a, b, original } = pair('noop', 'f.yaml', YAML);
    const t = theirs(a, ['edit', 'f.yaml'], { EDITOR: editor(a.dir, 'ed.sh', 'true') });
    const o = await ours(b, ['edit', 'f.yaml'], { EDITOR: editor(b.dir, 'ed.sh', 'true') });
    expect(o).toEqual(t);
    expect(o).toEqual({ code: 200, stderr: 'File has not changed, exiting.\n' });
    expect(read(b, 'f.yaml')).toBe(original);
    assertPrivateAndGone(b, 'f.yaml');
  });

  live('yaml: a whitespace-only change counts as a change; every value keeps its ciphertext', async () => {
    const { a, b, original } = pair('ws', 'f.yaml', YAML);
    const t = theirs(a, ['edit', 'f.yaml'], { EDITOR: editor(a.dir, 'ed.sh', `printf '\\n' >> "$f"`) });
    const o = await ours(b, ['edit', 'f.yaml'], { EDITOR: editor(b.dir, 'ed.sh', `printf '\\n' >> "$f"`) });
    expect(o).toEqual(t);
    expect(o.code).toBe(0);
    const mo = mask(read(b, 'f.yaml'), original);
    expect(mo).toBe(mask(read(a, 'f.yaml'), original));
    // only the MAC can change (not even it when the second has not changed)
    expect(mo.match(/ENC\[[a-z]+\]/g) ?? []).not.toContain('ENC[int]');
    expect((mo.match(/ENC\[[a-z]+\]/g) ?? []).length).toBeLessThanOrEqual(1);
  });

  live('the bare form `sops-ts FILE` edits too', async () => {
    const { a, b, original } = pair('bare', 'f.json', JSON_DOC);
    const t = theirs(a, ['f.json'], { EDITOR: editor(a.dir, 'ed.sh', `sed -i 's/hello/bare/' "$f"`) });
    const o = await ours(b, ['f.json'], { EDITOR: editor(b.dir, 'ed.sh', `sed -i 's/hello/bare/' "$f"`) });
    expect(o).toEqual(t);
    expect(mask(read(b, 'f.json'), original)).toBe(mask(read(a, 'f.json'), original));
  });

  live('SOPS_EDITOR wins over EDITOR, and is split like a shell (quotes, arguments)', async () => {
    const { a, b, original } = pair('shlex', 'f.env', DOTENV);
    for (const ws of [a, b]) {
      mkdirSync(join(ws.dir, 'my editors'));
      editor(join(ws.dir, 'my editors'), 'ed.sh', `[ "$1" = "--wait" ] && [ "$2" = "two words" ] && sed -i 's/hello/split/' "$f"`);
      editor(ws.dir, 'fail.sh', 'exit 9');
    }
    const env = (ws: Ws) => ({ SOPS_EDITOR: `"${ws.dir}/my editors/ed.sh" --wait 'two words'`, EDITOR: join(ws.dir, 'fail.sh') });
    const t = theirs(a, ['edit', 'f.env'], env(a));
    const o = await ours(b, ['edit', 'f.env'], env(b));
    expect(o).toEqual(t);
    expect(o.code).toBe(0);
    expect(mask(read(b, 'f.env'), original)).toBe(mask(read(a, 'f.env'), original));
    expect(decryptWithSops(b, 'f.env')).toContain('B=split');
  });

  live('invalid YAML, then a top-level `sops` key, then valid: the editor is re-opened (stdin at EOF)', async () => {
    const { a, b, original } = pair('retry', 'f.yaml', YAML);
    const body = `n=$(wc -l < "$EDLOG")
if [ "$n" -eq 1 ]; then printf 'a: [1\\nb: 2\\n' > "$f"
elif [ "$n" -eq 2 ]; then printf 'sops: 1\\na: 2\\n' > "$f"
else printf 'a: 1\\nb: third\\n' > "$f"; fi`;
    const t = theirs(a, ['edit', 'f.yaml'], { EDITOR: editor(a.dir, 'ed.sh', body) });
    const o = oursCli(b, ['edit', 'f.yaml'], { EDITOR: editor(b.dir, 'ed.sh', body) });
    expect(o.code).toBe(t.code);
    expect(maskLog(o.stderr)).toBe(maskLog(t.stderr));
    expect(o.stderr).toContain('level=error msg="Could not load tree, probably due to invalid syntax. Press enter to return to the editor, or Ctrl+C to exit."');
    expect(o.stderr).toContain('msg="Tree not valid for encryption.');
    expect(mask(read(b, 'f.yaml'), original)).toBe(mask(read(a, 'f.yaml'), original));
    assertPrivateAndGone(b, 'f.yaml', 3);
  });

  live('dotenv: a `sops_` key is refused, then the fixed text is taken', async () => {
    const { a, b, original } = pair('sopskey', 'f.env', DOTENV);
    const body = `n=$(wc -l < "$EDLOG")
if [ "$n" -eq 1 ]; then printf 'sops_x=1\\nA=1\\n' > "$f"; else printf 'A=2\\nB=hello\\nC=untouched\\n' > "$f"; fi`;
    const t = theirs(a, ['edit', 'f.env'], { EDITOR: editor(a.dir, 'ed.sh', body) });
    const o = oursCli(b, ['edit', 'f.env'], { EDITOR: editor(b.dir, 'ed.sh', body) });
    expect(o.code).toBe(t.code);
    expect(maskLog(o.stderr)).toBe(maskLog(t.stderr));
    expect(mask(read(b, 'f.env'), original)).toBe(mask(read(a, 'f.env'), original));
    assertPrivateAndGone(b, 'f.env', 2);
  });

  live('an editor that fails → exit 201, file untouched, plaintext gone', async () => {
    const { a, b, original } = pair('fail', 'f.ini', INI);
    const t = theirs(a, ['edit', 'f.ini'], { EDITOR: editor(a.dir, 'ed.sh', 'exit 3') });
    const o = await ours(b, ['edit', 'f.ini'], { EDITOR: editor(b.dir, 'ed.sh', 'exit 3') });
    expect(o).toEqual(t);
    expect(o).toEqual({ code: 201, stderr: 'Could not run editor: exit status 3\n' });
    expect(read(b, 'f.ini')).toBe(original);
    assertPrivateAndGone(b, 'f.ini');
  });

  live('an editor that modifies and then fails: nothing written', async () => {
    const { a, b, original } = pair('failmod', 'f.yaml', YAML);
    const body = `sed -i 's/hello/lost/' "$f"; exit 1`;
    const t = theirs(a, ['edit', 'f.yaml'], { EDITOR: editor(a.dir, 'ed.sh', body) });
    const o = await ours(b, ['edit', 'f.yaml'], { EDITOR: editor(b.dir, 'ed.sh', body) });
    expect(o).toEqual(t);
    expect(read(b, 'f.yaml')).toBe(original);
    assertPrivateAndGone(b, 'f.yaml');
  });

  live('editors that cannot be found: not on PATH, none at all, relative PATH entry, bad quoting → 201 with sops text', async () => {
    const { a, b } = pair('noeditor', 'f.yaml', YAML);
    for (const ws of [a, b]) {
      mkdirSync(join(ws.dir, 'empty'));
      editor(ws.dir, 'ed.sh', `sed -i 's/hello/dot/' "$f"`);
    }
    const cases: ((ws: Ws) => Record<string, string>)[] = [
      () => ({ EDITOR: 'no-such-editor-here' }),
      (ws) => ({ PATH: join(ws.dir, 'empty') }),
      () => ({ PATH: '.:/nonexistent', EDITOR: 'ed.sh' }),
      () => ({ PATH: ':/nonexistent', EDITOR: 'ed.sh' }),
      () => ({ EDITOR: '"unterminated' }),
      () => ({ EDITOR: './no-such' }),
    ];
    for (const c of cases) {
      const t = theirs(a, ['edit', 'f.yaml'], c(a));
      const o = await ours(b, ['edit', 'f.yaml'], c(b));
      expect(o).toEqual(t);
      expect(o.code).toBe(201);
    }
    expect(readdirSync(b.tmp)).toEqual([]);
  });

  live('an editor that removes the file → exit 2, same message up to the temp path', async () => {
    const { a, b } = pair('rm', 'f.yaml', YAML);
    const t = theirs(a, ['edit', 'f.yaml'], { EDITOR: editor(a.dir, 'ed.sh', 'rm "$f"') });
    const o = await ours(b, ['edit', 'f.yaml'], { EDITOR: editor(b.dir, 'ed.sh', 'rm "$f"') });
    expect(o.code).toBe(t.code);
    const path = /open (\S+): /;
    expect(o.stderr.replace(path, 'open P: ')).toBe(t.stderr.replace(path, 'open P: '));
    expect(readdirSync(b.tmp)).toEqual([]);
  });

  live('--show-master-keys shows the metadata; like sops 3.13, the edit is then dropped (only lastmodified/MAC change)', async () => {
    const { a, b, original } = pair('showkeys', 'f.yaml', YAML);
    const body = `cp "$f" "$(dirname "$EDLOG")/shown.txt"; sed -i 's/hello/shown/' "$f"`;
    const t = theirs(a, ['edit', '-s', 'f.yaml'], { EDITOR: editor(a.dir, 'ed.sh', body) });
    const o = await ours(b, ['edit', '--show-master-keys', 'f.yaml'], { EDITOR: editor(b.dir, 'ed.sh', body) });
    expect(o).toEqual(t);
    expect(o.code).toBe(0);
    expect(readFileSync(join(b.dir, 'shown.txt'), 'utf8')).toBe(readFileSync(join(a.dir, 'shown.txt'), 'utf8'));
    expect(readFileSync(join(b.dir, 'shown.txt'), 'utf8')).toContain('recipient: ' + R1);
    expect(mask(read(b, 'f.yaml'), original)).toBe(mask(read(a, 'f.yaml'), original));
    expect(decryptWithSops(b, 'f.yaml')).toBe(decryptWithSops(a, 'f.yaml'));
    expect(decryptWithSops(b, 'f.yaml')).toContain('b: hello');
  });

  live('MAC mismatch refused; --ignore-mac edits anyway and writes a fresh MAC', async () => {
    const { a, b } = pair('mac', 'f.yaml', YAML);
    for (const ws of [a, b]) {
      // a different lastmodified: the stored MAC no longer decrypts
      writeFileSync(join(ws.dir, 'f.yaml'), read(ws, 'f.yaml').replace(/lastmodified: "(\d{4})/, (_m, y: string) => `lastmodified: "${Number(y) - 1}`));
      editor(ws.dir, 'ed.sh', `sed -i 's/untouched/touched/' "$f"`);
    }
    const tampered = read(b, 'f.yaml');
    const t1 = theirs(a, ['edit', 'f.yaml'], { EDITOR: join(a.dir, 'ed.sh') });
    const o1 = await ours(b, ['edit', 'f.yaml'], { EDITOR: join(b.dir, 'ed.sh') });
    expect(o1.code).toBe(t1.code);
    expect(o1.code).not.toBe(0);
    expect(o1.stderr.split(':')[0]).toBe(t1.stderr.split(':')[0]);
    expect(read(b, 'f.yaml')).toBe(tampered);
    const t2 = theirs(a, ['edit', '--ignore-mac', 'f.yaml'], { EDITOR: join(a.dir, 'ed.sh') });
    const o2 = await ours(b, ['edit', '--ignore-mac', 'f.yaml'], { EDITOR: join(b.dir, 'ed.sh') });
    expect(o2).toEqual(t2);
    expect(o2.code).toBe(0);
    expect(mask(read(b, 'f.yaml'), tampered)).toBe(mask(read(a, 'f.yaml'), tampered));
    expect(decryptWithSops(b, 'f.yaml')).toContain('e: touched');
  });

  live('a file written by sops 3.8.1 gets version 3.13.3 and 3.13 metadata order', async () => {
    const src = vectorPath('sops-3.8.1/comments--none--r1.enc.yaml');
    const a = workspace('old-sops');
    const b = workspace('old-ours');
    copyFileSync(src, join(a.dir, 'f.yaml'));
    copyFileSync(src, join(b.dir, 'f.yaml'));
    const original = readFileSync(src, 'utf8');
    expect(original).toMatch(/version: 3\.8\.1/);
    const body = `printf '\\n# appended\\n' >> "$f"`;
    const t = theirs(a, ['edit', 'f.yaml'], { EDITOR: editor(a.dir, 'ed.sh', body) });
    const o = await ours(b, ['edit', 'f.yaml'], { EDITOR: editor(b.dir, 'ed.sh', body) });
    expect(o).toEqual(t);
    expect(o.code).toBe(0);
    expect(read(b, 'f.yaml')).toMatch(/version: 3\.13\.3/);
    expect(mask(read(b, 'f.yaml'), original)).toBe(mask(read(a, 'f.yaml'), original));
  });

  live('the file keeps its mode; duplicate --decryption-order is refused', async () => {
    const { a, b, original } = pair('mode', 'f.json', JSON_DOC);
    for (const ws of [a, b]) chmodSync(join(ws.dir, 'f.json'), 0o640);
    const body = `sed -i 's/hello/mode/' "$f"`;
    const t = theirs(a, ['edit', 'f.json'], { EDITOR: editor(a.dir, 'ed.sh', body) });
    const o = await ours(b, ['edit', 'f.json'], { EDITOR: editor(b.dir, 'ed.sh', body) });
    expect(o).toEqual(t);
    expect(statSync(join(b.dir, 'f.json')).mode & 0o777).toBe(0o640);
    expect(statSync(join(a.dir, 'f.json')).mode & 0o777).toBe(0o640);
    expect(mask(read(b, 'f.json'), original)).toBe(mask(read(a, 'f.json'), original));
    const t2 = theirs(a, ['edit', '--decryption-order', 'age,age', 'f.json'], { EDITOR: join(a.dir, 'ed.sh') });
    const o2 = await ours(b, ['edit', '--decryption-order', 'age,age', 'f.json'], { EDITOR: join(b.dir, 'ed.sh') });
    expect(o2).toEqual(t2);
    expect(o2.code).toBe(112);
  });

  live('not an encrypted file → sops metadata not found (exit 1)', async () => {
    const a = workspace('plain-sops');
    const b = workspace('plain-ours');
    for (const ws of [a, b]) writeFileSync(join(ws.dir, 'p.yaml'), YAML);
    const t = theirs(a, ['edit', 'p.yaml'], { EDITOR: editor(a.dir, 'ed.sh', 'true') });
    const o = await ours(b, ['edit', 'p.yaml'], { EDITOR: editor(b.dir, 'ed.sh', 'true') });
    expect(o).toEqual(t);
    expect(editorRuns(b)).toEqual([]);
  });
});

describe('sops-ts edit: new files from the example document', () => {
  const formats: [string, string][] = [
    ['yaml', 'n.yaml'],
    ['json', 'n.json'],
    ['dotenv', 'n.env'],
    ['ini', 'n.ini'],
    ['binary', 'n.bin'],
  ];
  for (const [fmt, name] of formats) {
    live(`${fmt}: same template, same result after the edit`, async () => {
      const a = workspace(`new-${fmt}-sops`);
      const b = workspace(`new-${fmt}-ours`);
      const body = `cp "$f" "$(dirname "$EDLOG")/template"; sed -i 's/Welcome/Hi/' "$f"`;
      const t = theirs(a, ['edit', '--age', R1, name], { EDITOR: editor(a.dir, 'ed.sh', body) });
      const o = await ours(b, ['edit', '--age', R1, name], { EDITOR: editor(b.dir, 'ed.sh', body) });
      expect(o).toEqual(t);
      expect(o.code).toBe(0);
      expect(readFileSync(join(b.dir, 'template'), 'utf8')).toBe(readFileSync(join(a.dir, 'template'), 'utf8'));
      expect(mask(read(b, name), '', true)).toBe(mask(read(a, name), '', true));
      expect(decryptWithSops(b, name)).toBe(decryptWithSops(a, name));
      expect(decryptWithSops(b, name)).toContain('Hi to SOPS!');
      assertPrivateAndGone(b, name);
    });
  }

  live('yaml: keys from .sops.yaml, -s shows the new metadata; unchanged template → 200 and no file', async () => {
    const a = workspace('newcfg-sops');
    const b = workspace('newcfg-ours');
    for (const ws of [a, b]) writeFileSync(join(ws.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${R1}\n    encrypted_regex: ^(hello|example_key)$\n`);
    const body = `cp "$f" "$(dirname "$EDLOG")/shown"; sed -i 's/example_value$/changed/' "$f"`;
    const t = theirs(a, ['edit', '-s', 'n.yaml'], { EDITOR: editor(a.dir, 'ed.sh', body) });
    const o = await ours(b, ['edit', '-s', 'n.yaml'], { EDITOR: editor(b.dir, 'ed.sh', body) });
    expect(o).toEqual(t);
    expect(o.code).toBe(0);
    expect(mask(readFileSync(join(b.dir, 'shown'), 'utf8'), '', true)).toBe(mask(readFileSync(join(a.dir, 'shown'), 'utf8'), '', true));
    expect(mask(read(b, 'n.yaml'), '', true)).toBe(mask(read(a, 'n.yaml'), '', true));
    expect(read(b, 'n.yaml')).toContain('encrypted_regex: ^(hello|example_key)$');
    const t2 = theirs(a, ['edit', 'm.yaml'], { EDITOR: editor(a.dir, 'noop.sh', 'true') });
    const o2 = await ours(b, ['edit', 'm.yaml'], { EDITOR: editor(b.dir, 'noop.sh', 'true') });
    expect(o2).toEqual(t2);
    expect(o2.code).toBe(200);
    expect(existsSync(join(b.dir, 'm.yaml'))).toBe(false);
  });

  live('no keys anywhere → sops message, editor never run', async () => {
    const a = workspace('nokeys-sops');
    const b = workspace('nokeys-ours');
    const t = theirs(a, ['edit', 'n.yaml'], { EDITOR: editor(a.dir, 'ed.sh', 'true') });
    const o = await ours(b, ['edit', 'n.yaml'], { EDITOR: editor(b.dir, 'ed.sh', 'true') });
    expect(o).toEqual(t);
    expect(editorRuns(b)).toEqual([]);
    expect(existsSync(join(b.dir, 'n.yaml'))).toBe(false);
  });
});

describe('sops-ts edit: plaintext safety', () => {
  it('SIGTERM to the CLI while the editor runs: exit 1, User canceled operation, plaintext and editor gone', async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run npm run build first');
    const ws = workspace('sigterm');
    const plain = join(ws.dir, 'p.yaml');
    writeFileSync(plain, YAML);
    const enc = spawnSync(process.execPath, [BIN, 'encrypt', '--age', R1, '--output', 'f.yaml', 'p.yaml'], { cwd: ws.dir, env: cleanSopsEnv() });
    expect(enc.status).toBe(0);
    const original = read(ws, 'f.yaml');
    const ed = editor(ws.dir, 'ed.sh', `echo $$ > "$(dirname "$EDLOG")/editor.pid"; sleep 20 & wait`);
    const child = spawn(process.execPath, [BIN, 'edit', 'f.yaml'], { cwd: ws.dir, env: cleanSopsEnv(envFor(ws, { EDITOR: ed })), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const pidFile = join(ws.dir, 'editor.pid');
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(pidFile)).toBe(true);
    const [[path, mode, dirMode]] = editorRuns(ws) as [[string, string, string]];
    expect([mode, dirMode]).toEqual(['600', '700']);
    expect(existsSync(path)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(stderr).toBe('User canceled operation\n');
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(ws.tmp)).toEqual([]);
    expect(read(ws, 'f.yaml')).toBe(original);
    // the editor was told to stop
    const pid = Number(readFileSync(pidFile, 'utf8'));
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  }, 30000);

  it('the temp file never exists with a wider mode, even with umask 000', async () => {
    const ws = workspace('umask');
    writeFileSync(join(ws.dir, 'p.env'), DOTENV);
    const enc = spawnSync(process.execPath, [BIN, 'encrypt', '--age', R1, '--output', 'f.env', 'p.env'], { cwd: ws.dir, env: cleanSopsEnv() });
    expect(enc.status).toBe(0);
    const ed = editor(ws.dir, 'ed.sh', `sed -i 's/hello/umask/' "$f"`);
    const r = spawnSync('/bin/sh', ['-c', `umask 000; exec "${process.execPath}" "${BIN}" edit f.env`], { cwd: ws.dir, env: cleanSopsEnv(envFor(ws, { EDITOR: ed })), input: '' });
    expect(r.status).toBe(0);
    assertPrivateAndGone(ws, 'f.env');
  });
});
