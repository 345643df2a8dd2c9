// Where age identities come from: SOPS_AGE_KEY (several per line),
// SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD (with SOPS_AGE_RECIPIENT), the default
// keys.txt under the user config dir. Each case runs through our CLI and,
// where Go sops is installed, through sops with the same environment: same
// exit code, same message.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { loadAgeIdentities, shlexSplit, userConfigDir } from '../src/node/age-keys.js';
import { parseAgeIdentities } from '../src/keysources/age.js';
import { REPO_ROOT, cleanHomeDir, requireSops, loadManifest, readVector, runSops, vectorPath } from './helpers/sops.js';

const manifest = loadManifest();
const v = manifest.vectors.find((x) => x.format === 'yaml' && x.setting === 'none' && x.recipients.length === 1 && x.expectError === null)!;
const file = join('vectors', v.encrypted!);
const key1Text = readFileSync(vectorPath(manifest.keys['age-1']!.file), 'utf8');
const key2Text = readFileSync(vectorPath(manifest.keys['age-2']!.file), 'utf8');
const key1 = parseAgeIdentities(key1Text)[0]!;
const key2 = parseAgeIdentities(key2Text)[0]!;
const dir = mkdtempSync(join(tmpdir(), 'sops-ts-keys-'));
const home = cleanHomeDir();
// Live comparisons need the pinned Go sops: skipped with a visible message without it, a failure under SOPS_TS_REQUIRE_SOPS=1.
const sops = requireSops();

async function ours(env: Record<string, string>) {
  let out = '';
  let err = '';
  const code = await main(['decrypt', file], {
    stdout: (d) => (out += typeof d === 'string' ? d : Buffer.from(d).toString()),
    stderr: (d) => (err += d),
    env: { PATH: process.env.PATH, HOME: home, ...env },
    cwd: REPO_ROOT,
  });
  return { code, out, err };
}

async function check(env: Record<string, string>, expectOk: boolean) {
  const r = await ours(env);
  if (expectOk) {
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(readVector(v.decrypted!).toString());
  } else {
    expect(r.code).toBe(128);
    expect(r.err).toMatch(/^Failed to get the data key required to decrypt the SOPS file\./);
    expect(r.err).not.toContain(key1.slice(20));
  }
  if (sops !== undefined) {
    const s = runSops(['decrypt', file], { env });
    expect(r.code).toBe(s.code);
    expect(r.err).toBe(s.stderr);
  }
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('age identities from the environment, as sops finds them', () => {
  it('nothing set: exit 128 listing every location looked at', () => check({}, false));
  it('SOPS_AGE_KEY', () => check({ SOPS_AGE_KEY: key1 }, true));
  it('SOPS_AGE_KEY with several keys on one line (3.13)', () => check({ SOPS_AGE_KEY: `${key2} ${key1}` }, true));
  it('SOPS_AGE_KEY with the wrong key', () => check({ SOPS_AGE_KEY: key2 }, false));
  it('SOPS_AGE_KEY_FILE', () => check({ SOPS_AGE_KEY_FILE: write('k1.txt', key1Text) }, true));
  it('SOPS_AGE_KEY_FILE with CRLF line ends and comments', () => check({ SOPS_AGE_KEY_FILE: write('crlf.txt', key1Text.replace(/\n/g, '\r\n')) }, true));
  it('SOPS_AGE_KEY_FILE missing', () => check({ SOPS_AGE_KEY_FILE: join(dir, 'nope.txt') }, false));
  it('SOPS_AGE_KEY_FILE with garbage', () => check({ SOPS_AGE_KEY_FILE: write('bad.txt', 'not a key\n') }, false));
  it('SOPS_AGE_KEY_FILE empty', () => check({ SOPS_AGE_KEY_FILE: write('empty.txt', '') }, false));
  it('SOPS_AGE_KEY_CMD', () => {
    const script = write('cmd.sh', `#!/bin/sh\ncat '${write('k1-cmd.txt', key1Text)}'\n`);
    chmodSync(script, 0o755);
    return check({ SOPS_AGE_KEY_CMD: script }, true);
  });
  it('SOPS_AGE_KEY_CMD sees SOPS_AGE_RECIPIENT', () => {
    const out = join(dir, 'recipient.txt');
    const script = write('cmd2.sh', `#!/bin/sh\necho "$SOPS_AGE_RECIPIENT" > '${out}'\necho '${key1}'\n`);
    chmodSync(script, 0o755);
    return check({ SOPS_AGE_KEY_CMD: script }, true).then(() => {
      expect(readFileSync(out, 'utf8').trim()).toBe(manifest.keys['age-1']!.recipient);
    });
  });
  it('the default keys.txt under XDG_CONFIG_HOME', () => {
    const cfg = mkdtempSync(join(tmpdir(), 'sops-ts-xdg-'));
    mkdirSync(join(cfg, 'sops', 'age'), { recursive: true });
    writeFileSync(join(cfg, 'sops', 'age', 'keys.txt'), key1Text);
    return check({ XDG_CONFIG_HOME: cfg }, true);
  });
  it('a wrong SOPS_AGE_KEY_FILE and a right SOPS_AGE_KEY: all sources are tried', () => check({ SOPS_AGE_KEY_FILE: write('k2.txt', key2Text), SOPS_AGE_KEY: key1 }, true));
});

describe('helpers', () => {
  it('loadAgeIdentities reports where it looked', () => {
    const r = loadAgeIdentities('age1x', { HOME: '/nonexistent-home' });
    expect(r.identities).toEqual([]);
    expect(r.unused).toEqual([
      'SOPS_AGE_SSH_PRIVATE_KEY_FILE', 'SOPS_AGE_SSH_PRIVATE_KEY_CMD', '/nonexistent-home/.ssh/id_ed25519', '/nonexistent-home/.ssh/id_rsa',
      'SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', '/nonexistent-home/.config/sops/age/keys.txt',
    ]);
  });
  it('userConfigDir follows Go os.UserConfigDir', () => {
    expect(userConfigDir({ HOME: '/h' }, 'linux')).toBe('/h/.config');
    expect(userConfigDir({ HOME: '/h', XDG_CONFIG_HOME: '/x' }, 'linux')).toBe('/x');
    expect(() => userConfigDir({ XDG_CONFIG_HOME: 'rel' }, 'linux')).toThrow(/relative/);
    expect(userConfigDir({ HOME: '/h', XDG_CONFIG_HOME: '/x' }, 'darwin')).toBe('/x');
    expect(userConfigDir({ HOME: '/h' }, 'darwin')).toBe('/h/Library/Application Support');
  });
  it('shlexSplit splits like a shell without running one', () => {
    expect(shlexSplit(`cat "a b" 'c d' e\\ f`)).toEqual(['cat', 'a b', 'c d', 'e f']);
  });
  it('parseAgeIdentities rejects unknown lines without echoing them', () => {
    expect(() => parseAgeIdentities('AGE-SECRET-KEY-1XYZ\nsecret-looking-line\n')).toThrow(/^unknown identity type$/);
  });
});
