// age SSH recipients and identities (`ssh-ed25519`, `ssh-rsa`), cross-checked
// with Go sops 3.13.3 (which uses age's `agessh`) in both directions. Keys are
// made at test time with ssh-keygen; post-quantum keys with age-keygen -pq
// (age v1.3.1, the version sops 3.13.3 pins) when it is in .tools/age, else
// with typage (the interop with sops is what is under test, not keygen).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { armor, generateHybridIdentity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { SopsError } from '../src/errors.js';
import { AgeIdentity, AgeRecipient, checkAgeRecipient } from '../src/keysources/age.js';
import {
  SshEd25519Identity, SshPassphraseMissingError, SshRsaIdentity, formatSshPublicKey, parseSshIdentity, parseSshPublicKey, parseSshRecipient, sshKeyTag,
} from '../src/keysources/age-ssh.js';
import { EnvAgeIdentity, loadAgeIdentities, type Env } from '../src/node/age-keys.js';
import { decrypt, encrypt } from '../src/sops.js';
import { REPO_ROOT, assertIsGoSops, requireSops, runSops } from './helpers/sops.js';

const bin = requireSops();
const PLAIN = 'db:\n    user: admin\n    password: hunter2\nlist:\n    - 1\n    - two\n';

let dir: string;
/** A HOME without ~/.ssh or ~/.config/sops, shared by sops and sops-ts runs so location texts agree. */
let emptyHome: string;
const keys: Record<string, string> = {};
const pub = (name: string) => readFileSync(keys[name]! + '.pub', 'utf8').trim();
const priv = (name: string) => readFileSync(keys[name]!, 'utf8');

function keygen(name: string, args: string[]): void {
  const p = join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-C', `${name}@sops-ts test`, '-f', p], { stdio: 'ignore' });
  keys[name] = p;
}

function sops(args: string[], env: Record<string, string>) {
  return runSops(args, { env: { HOME: emptyHome, ...env }, cwd: dir });
}

function tmpFile(text: string): string {
  const p = join(dir, `f-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, text);
  return p;
}

function sopsEncrypt(recipient: string, text = PLAIN): string {
  const r = sops(['encrypt', '--age', recipient, tmpFile(text)], {});
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.toString('utf8');
}

function sopsDecrypt(enc: string, env: Record<string, string>) {
  return sops(['decrypt', tmpFile(enc)], env);
}

/** The stanza lines of the (only) age entry's header. */
function stanzaArgs(enc: string): string[] {
  const m = /enc: \|\n((?: {12}.*\n)+)/.exec(enc);
  const file = armor.decode(m![1]!.replace(/^ {12}/gm, ''));
  const header = new TextDecoder().decode(file).split('\n---')[0]!;
  return header.split('\n').filter((l) => l.startsWith('-> ')).map((l) => l.slice(3));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sops-ts-age-ssh-'));
  emptyHome = mkdtempSync(join(tmpdir(), 'sops-ts-age-ssh-home-'));
  keygen('ed', ['-t', 'ed25519', '-N', '']);
  keygen('ed2', ['-t', 'ed25519', '-N', '']);
  keygen('rsa', ['-t', 'rsa', '-b', '2048', '-N', '']);
  keygen('rsapem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '']);
  keygen('rsap8', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8', '-N', '']);
  keygen('edpass', ['-t', 'ed25519', '-N', 'correct horse']);
  keygen('rsapass', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'correct horse']);
  if (bin) assertIsGoSops(bin);
});

describe('SSH keys: parsing agrees with OpenSSH and Go age', () => {
  it.each(['ed', 'rsa', 'rsapem', 'rsap8'])('%s: the public half of the private key is what ssh-keygen -y prints', (name) => {
    const id = parseSshIdentity(priv(name));
    // newer OpenSSH prints the comment too
    const expected = execFileSync('ssh-keygen', ['-y', '-f', keys[name]!], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
    expect(formatSshPublicKey(id.publicKey)).toBe(expected);
    expect(id).toBeInstanceOf(name === 'ed' ? SshEd25519Identity : SshRsaIdentity);
    const { key, comment } = parseSshPublicKey(pub(name));
    expect(formatSshPublicKey(key)).toBe(expected);
    expect(comment).toBe(`${name}@sops-ts test`);
  });

  it.runIf(bin)('the stanza sops writes names the key by our tag', () => {
    for (const [name, type] of [['ed', 'ssh-ed25519'], ['rsa', 'ssh-rsa']] as const) {
      const args = stanzaArgs(sopsEncrypt(pub(name)));
      expect(args).toHaveLength(1);
      const words = args[0]!.split(' ');
      expect(words[0]).toBe(type);
      expect(words[1]).toBe(sshKeyTag(parseSshPublicKey(pub(name)).key));
      expect(words).toHaveLength(type === 'ssh-ed25519' ? 3 : 2);
    }
  });

  it.runIf(bin)('malformed SSH recipients are refused with sops\'s exact text', async () => {
    const edBlob = pub('ed').split(' ')[1]!;
    const cases = [
      'ssh-ed25519 AAAA',
      'ssh-ed25519',
      'ssh-ed25519 AAAA comment',
      'ssh-dss AAAAB3NzaC1kc3MAAACBAP',
      `ssh-rsa ${edBlob}`,
      `ssh-ed25519 ${edBlob.slice(0, -4)}`,
      'ssh-ed25519 @@@@',
    ];
    for (const r of cases) {
      const s = sops(['encrypt', '--age', r, tmpFile(PLAIN)], {});
      expect(s.code).not.toBe(0);
      let err: unknown;
      try {
        await checkAgeRecipient(r);
      } catch (e) {
        err = e;
      }
      expect(err, r).toBeInstanceOf(SopsError);
      expect((err as SopsError).code).toBe('ERR_INVALID_KEY');
      expect((err as SopsError).message, r).toBe(s.stderr.trim());
    }
  });

  it('RSA keys under 2048 bits are refused, as agessh does', async () => {
    const p = join(dir, 'small');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '1024', '-N', '', '-f', p], { stdio: 'ignore' });
    const line = readFileSync(p + '.pub', 'utf8').trim();
    await expect(AgeRecipient.create(line)).rejects.toThrow(`failed to parse input as age-ssh public key: malformed SSH recipient: ${JSON.stringify(line)}: RSA key size is too small`);
  });
});

describe.runIf(bin)('sops encrypts to an SSH key, sops-ts decrypts', () => {
  for (const name of ['ed', 'rsa', 'rsapem', 'rsap8']) {
    it(`${name}: core API with the PEM text, and SOPS_AGE_SSH_PRIVATE_KEY_FILE through EnvAgeIdentity`, async () => {
      const enc = sopsEncrypt(pub(name));
      // sops keeps the whole trimmed line, comment included, as the recipient.
      expect(enc).toContain(`recipient: ${pub(name)}\n`);
      // the oracle itself can decrypt with this key kind
      expect(sopsDecrypt(enc, { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys[name]! }).stdout.toString('utf8')).toBe(PLAIN);
      expect(await decrypt(enc, { format: 'yaml', ageIdentities: [priv(name)] })).toBe(PLAIN);
      expect(await decrypt(enc, { format: 'yaml', identities: [new AgeIdentity([parseSshIdentity(priv(name))])] })).toBe(PLAIN);
      const env: Env = { HOME: emptyHome, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys[name]! };
      expect(await decrypt(enc, { format: 'yaml', identities: [new EnvAgeIdentity(env)] })).toBe(PLAIN);
      const loaded = loadAgeIdentities('x', env);
      expect(loaded.errors).toEqual([]);
      expect(loaded.identities).toHaveLength(1);
    });
  }

  it('SOPS_AGE_SSH_PRIVATE_KEY_CMD: the command\'s output is the key, SOPS_AGE_RECIPIENT is set', async () => {
    const enc = sopsEncrypt(pub('ed'));
    const script = join(dir, 'print-key.sh');
    const seen = join(dir, 'seen-recipient');
    writeFileSync(script, `#!/bin/sh\nprintf '%s' "$SOPS_AGE_RECIPIENT" > '${seen}'\ncat '${keys['ed']}'\n`, { mode: 0o755 });
    expect(sopsDecrypt(enc, { SOPS_AGE_SSH_PRIVATE_KEY_CMD: script }).stdout.toString('utf8')).toBe(PLAIN);
    expect(readFileSync(seen, 'utf8')).toBe(pub('ed'));
    writeFileSync(seen, '');
    expect(await decrypt(enc, { format: 'yaml', identities: [new EnvAgeIdentity({ HOME: emptyHome, PATH: process.env.PATH, SOPS_AGE_SSH_PRIVATE_KEY_CMD: script })] })).toBe(PLAIN);
    expect(readFileSync(seen, 'utf8')).toBe(pub('ed'));
  });

  it('~/.ssh/id_ed25519 and ~/.ssh/id_rsa are used when they exist', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sops-ts-age-ssh-fallback-'));
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_ed25519'), priv('ed'));
    writeFileSync(join(home, '.ssh', 'id_rsa'), priv('rsa'));
    for (const name of ['ed', 'rsa']) {
      const enc = sopsEncrypt(pub(name));
      expect(sops(['decrypt', tmpFile(enc)], { HOME: home }).stdout.toString('utf8')).toBe(PLAIN);
      expect(await decrypt(enc, { format: 'yaml', identities: [new EnvAgeIdentity({ HOME: home })] })).toBe(PLAIN);
    }
    // also while SOPS_AGE_SSH_PRIVATE_KEY_FILE points at another key: sops reads every source
    const enc = sopsEncrypt(pub('ed'));
    expect(await decrypt(enc, { format: 'yaml', identities: [new EnvAgeIdentity({ HOME: home, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys['rsa']! })] })).toBe(PLAIN);
    expect(loadAgeIdentities('x', { HOME: home, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys['rsa']! }).identities).toHaveLength(3);
  });

  it('the wrong key fails with sops\'s report, word for word', async () => {
    for (const [to, withKey] of [['ed', 'ed2'], ['ed', 'rsa'], ['rsa', 'ed']] as const) {
      const enc = sopsEncrypt(pub(to));
      const s = sopsDecrypt(enc, { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys[withKey]! });
      expect(s.code).toBe(128);
      const err = await decrypt(enc, { format: 'yaml', identities: [new EnvAgeIdentity({ HOME: emptyHome, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys[withKey]! })] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SopsError);
      expect((err as SopsError).code).toBe('ERR_NO_DATA_KEY');
      expect((err as SopsError).message).toBe(s.stderr.trim());
    }
  });

  it('a missing or malformed key file is reported as sops reports it', async () => {
    const enc = sopsEncrypt(pub('ed'));
    const notKey = join(dir, 'not-a-key');
    writeFileSync(notKey, 'hello\n');
    for (const file of [join(dir, 'absent'), notKey]) {
      const s = sopsDecrypt(enc, { SOPS_AGE_SSH_PRIVATE_KEY_FILE: file });
      const err = await decrypt(enc, { format: 'yaml', identities: [new EnvAgeIdentity({ HOME: emptyHome, SOPS_AGE_SSH_PRIVATE_KEY_FILE: file })] }).catch((e: unknown) => e);
      expect((err as Error).message).toBe(s.stderr.trim());
    }
  });
});

describe.runIf(bin)('sops-ts encrypts to an SSH key, sops decrypts', () => {
  for (const name of ['ed', 'rsa']) {
    it(`${name}: MAC verified by sops, plaintext equal, recipient written as sops writes it`, async () => {
      const line = `  ${pub(name)}  `;
      const enc = await encrypt(PLAIN, { format: 'yaml', age: [line] });
      expect(enc).toContain(`recipient: ${pub(name)}\n`);
      expect(stanzaArgs(enc)[0]!.split(' ').slice(0, 2)).toEqual([name === 'ed' ? 'ssh-ed25519' : 'ssh-rsa', sshKeyTag(parseSshPublicKey(line).key)]);
      const s = sopsDecrypt(enc, { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys[name]! });
      expect(s.stderr).toBe('');
      expect(s.stdout.toString('utf8')).toBe(PLAIN);
      // and both kinds at once, in one group, through the recipient object
      const both = await encrypt(PLAIN, { format: 'yaml', recipients: [new AgeRecipient(pub('ed')), new AgeRecipient(pub('rsa'))] });
      expect(sopsDecrypt(both, { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys[name]! }).stdout.toString('utf8')).toBe(PLAIN);
    });
  }

  it('the recipient string is byte-identical to what sops writes (comment kept, spaces trimmed)', async () => {
    const line = ` ${pub('ed')}\t`;
    const ours = await encrypt(PLAIN, { format: 'yaml', age: [line] });
    const theirs = sopsEncrypt(line);
    const recipient = (t: string) => /recipient: (.*)\n/.exec(t)![1];
    expect(recipient(ours)).toBe(recipient(theirs));
  });
});

describe('passphrase-protected SSH keys', () => {
  it('the core refuses them with ERR_INVALID_KEY, revealing nothing of the key', async () => {
    for (const name of ['edpass', 'rsapass']) {
      const text = priv(name);
      let err: unknown;
      try {
        parseSshIdentity(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SshPassphraseMissingError);
      expect((err as SopsError).code).toBe('ERR_INVALID_KEY');
      expect((err as Error).message).toMatch(/passphrase-protected SSH keys are not supported/);
      for (const l of text.split('\n').filter((x) => x.length > 16 && !x.startsWith('-----'))) expect((err as Error).message).not.toContain(l.slice(0, 16));
      await expect(AgeIdentity.create([text])).rejects.toThrow(/passphrase-protected/);
      // The constructor defers SSH parsing (and loading the SSH code) to the first unwrap.
      const lazy = new AgeIdentity([text]);
      await expect(lazy.unwrap({ type: 'age', recipient: 'age1x', enc: '' })).rejects.toThrow(/passphrase-protected/);
    }
  });

  it.runIf(bin)('from SOPS_AGE_SSH_PRIVATE_KEY_FILE: fails only for files encrypted to it, as sops (which would prompt)', async () => {
    const mine = sopsEncrypt(pub('edpass'));
    const s = sopsDecrypt(mine, { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys['edpass']! });
    expect(s.code).toBe(128);
    expect(s.stderr).toContain('could not read passphrase');
    const env: Env = { HOME: emptyHome, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys['edpass']! };
    const err = await decrypt(mine, { format: 'yaml', identities: [new EnvAgeIdentity(env)] }).catch((e: unknown) => e);
    expect((err as SopsError).code).toBe('ERR_NO_DATA_KEY');
    // the report wraps lines at 60 columns behind `| `
    expect((err as Error).message.replace(/\n\s*\| /g, ' ')).toContain(`failed to obtain passphrase: the SSH key ${JSON.stringify(keys['edpass'])} is passphrase-protected, which sops-ts does not support`);
    // A file for another key is not disturbed by the encrypted key standing beside it.
    const other = sopsEncrypt(pub('ed'));
    const both: Env = { ...env, HOME: emptyHome };
    const home = mkdtempSync(join(tmpdir(), 'sops-ts-age-ssh-enc-home-'));
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_ed25519'), priv('ed'));
    expect(await decrypt(other, { format: 'yaml', identities: [new EnvAgeIdentity({ ...both, HOME: home })] })).toBe(PLAIN);
    expect(sops(['decrypt', tmpFile(other)], { HOME: home, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys['edpass']! }).stdout.toString('utf8')).toBe(PLAIN);
  });

  it('an encrypted PEM key needs its .pub beside it, as in sops', () => {
    const loaded = loadAgeIdentities('x', { HOME: emptyHome, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys['rsapass']! });
    expect(loaded.errors).toEqual([]);
    expect(loaded.identities).toHaveLength(1);
    const lonely = join(dir, 'lonely-rsapass');
    writeFileSync(lonely, priv('rsapass'));
    expect(loadAgeIdentities('x', { HOME: emptyHome, SOPS_AGE_SSH_PRIVATE_KEY_FILE: lonely }).errors).toEqual([
      `failed to obtain public ${JSON.stringify(lonely + '.pub')} key for ${JSON.stringify(lonely)} SSH key: open ${lonely}.pub: no such file or directory`,
    ]);
  });

  it.runIf(bin)('from SOPS_AGE_SSH_PRIVATE_KEY_CMD: refused at load time with sops\'s text', async () => {
    const enc = sopsEncrypt(pub('edpass'));
    const cmd = `cat ${keys['edpass']}`;
    const s = sopsDecrypt(enc, { SOPS_AGE_SSH_PRIVATE_KEY_CMD: cmd });
    const err = await decrypt(enc, { format: 'yaml', identities: [new EnvAgeIdentity({ HOME: emptyHome, PATH: process.env.PATH, SOPS_AGE_SSH_PRIVATE_KEY_CMD: cmd })] }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(s.stderr.trim());
  });
});

describe.runIf(bin)('post-quantum hybrid recipients (age1pq1…) with sops', () => {
  let secret: string;
  let recipient: string;
  beforeAll(async () => {
    const keygenBin = join(REPO_ROOT, '.tools', 'age', 'age-keygen');
    if (existsSync(keygenBin)) {
      const out = execFileSync(keygenBin, ['-pq'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      secret = out.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-PQ-1'))!;
      recipient = /# public key: (age1pq1\S+)/.exec(out)![1]!;
    } else {
      console.warn('[sops-ts] age-keygen not in .tools/age: post-quantum keys made with typage instead');
      secret = await generateHybridIdentity();
      recipient = await identityToRecipient(secret);
    }
  });

  it('sops → sops-ts and sops-ts → sops', async () => {
    const enc = sopsEncrypt(recipient);
    expect(stanzaArgs(enc)[0]!.split(' ')[0]).toBe('mlkem768x25519');
    expect(await decrypt(enc, { format: 'yaml', ageIdentities: [secret] })).toBe(PLAIN);
    const ours = await encrypt(PLAIN, { format: 'yaml', age: [recipient] });
    const s = sopsDecrypt(ours, { SOPS_AGE_KEY: secret });
    expect(s.stderr).toBe('');
    expect(s.stdout.toString('utf8')).toBe(PLAIN);
  });
});

describe('SSH recipients through the core without sops', () => {
  it('ed25519 and RSA round trips, and the identity ignores stanzas that are not its own', async () => {
    const enc = await encrypt(PLAIN, { format: 'yaml', age: [pub('ed'), pub('rsa')] });
    expect(await decrypt(enc, { format: 'yaml', ageIdentities: [priv('rsa')] })).toBe(PLAIN);
    expect(await decrypt(enc, { format: 'yaml', ageIdentities: [priv('ed')] })).toBe(PLAIN);
    const r = parseSshRecipient(pub('ed'));
    const stanzas = await r.wrapFileKey(new Uint8Array(16).fill(7));
    // asynchronous: the SSH crypto is a lazily loaded module
    expect(await parseSshIdentity(priv('ed2')).unwrapFileKey(stanzas)).toBeNull();
    expect(await parseSshIdentity(priv('ed')).unwrapFileKey(stanzas)).toEqual(new Uint8Array(16).fill(7));
    expect(await parseSshIdentity(priv('rsa')).unwrapFileKey(stanzas)).toBeNull();
  });
});

describe.runIf(bin)('the CLI with SSH recipients (sops splits --age, SOPS_AGE_RECIPIENTS and .sops.yaml age: on commas only)', () => {
  async function cli(args: string[], env: Record<string, string>, cwd = dir) {
    const { main } = await import('../src/cli/main.js');
    const out: (Uint8Array | string)[] = [];
    let err = '';
    const code = await main(args, {
      stdout: (d) => out.push(d),
      stderr: (d) => (err += d),
      env: { HOME: emptyHome, PATH: process.env.PATH ?? '', ...env },
      cwd,
    });
    return { code, stdout: Buffer.concat(out.map((d) => Buffer.from(d))).toString('utf8'), stderr: err };
  }

  it('--age "ssh-ed25519 … comment,ssh-rsa …", SOPS_AGE_RECIPIENTS, .sops.yaml; then decrypt with SOPS_AGE_SSH_PRIVATE_KEY_FILE', async () => {
    const list = `${pub('ed')}, ${pub('rsa')}`;
    const viaFlag = await cli(['encrypt', '--age', list, tmpFile(PLAIN)], {});
    const viaEnv = await cli(['encrypt', tmpFile(PLAIN)], { SOPS_AGE_RECIPIENTS: list });
    const cfgDir = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(cfgDir, '.sops.yaml'), `creation_rules:\n  - age:\n      - ${pub('ed')}\n      - ${pub('rsa')}\n`);
    const plainInCfg = join(cfgDir, 'secret.yaml');
    writeFileSync(plainInCfg, PLAIN);
    // sops looks for .sops.yaml from the working directory up
    const viaConfig = await cli(['encrypt', plainInCfg], {}, cfgDir);
    for (const r of [viaFlag, viaEnv, viaConfig]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`recipient: ${pub('ed')}\n`);
      expect(r.stdout).toContain(`recipient: ${pub('rsa')}\n`);
      for (const name of ['ed', 'rsa']) {
        expect(sopsDecrypt(r.stdout, { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys[name]! }).stdout.toString('utf8')).toBe(PLAIN);
        const ours = await cli(['decrypt', tmpFile(r.stdout)], { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys[name]! });
        expect(ours.stdout).toBe(PLAIN);
      }
    }
  });
});

/** An `ssh-ed25519` authorized_keys line for 32 raw key bytes (the wire blob built by hand, so any bytes go). */
function ed25519Line(key: Uint8Array): string {
  const type = Buffer.from('ssh-ed25519');
  const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  return `ssh-ed25519 ${Buffer.concat([u32(type.length), type, u32(32), key]).toString('base64')}`;
}

/** 32 little-endian bytes of y, with x's sign bit (bit 255) set if asked. */
function yBytes(y: bigint, sign = false): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, y >>= 8n) out[i] = Number(y & 0xffn);
  if (sign) out[31]! |= 0x80;
  return out;
}

const P25519 = (1n << 255n) - 19n;

/**
 * Ed25519 public keys that probe agessh's parse-time point check (Go
 * `edwards25519.Point.SetBytes`): what sops accepts, refuses at parse time,
 * or refuses when X25519 meets a small-order point. Inputs only: the expected
 * outcome is whatever sops 3.13.3 does with them.
 */
const ED25519_POINT_CASES: [string, () => Uint8Array][] = [
  ['ssh-keygen key', () => (parseSshPublicKey(pub('ed')).key as { key: Uint8Array }).key],
  ['ssh-keygen key, second', () => (parseSshPublicKey(pub('ed2')).key as { key: Uint8Array }).key],
  ['y = 3 (on the curve, small y)', () => yBytes(3n)],
  ['y = 2 (not on the curve)', () => yBytes(2n)],
  ['y = 2 with the sign bit (not on the curve)', () => yBytes(2n, true)],
  ['non-canonical y = p + 3 (≡ 3, on the curve)', () => yBytes(P25519 + 3n)],
  ['non-canonical y = 2^255 − 1 (≡ 18, on the curve)', () => yBytes((1n << 255n) - 1n)],
  ['non-canonical y = p + 2 (≡ 2, not on the curve)', () => yBytes(P25519 + 2n)],
  ['identity (y = 1)', () => yBytes(1n)],
  ['identity with the sign bit (x = 0, "−0")', () => yBytes(1n, true)],
  ['identity, non-canonical y = p + 1', () => yBytes(P25519 + 1n)],
  ['order 2 (y = p − 1)', () => yBytes(P25519 - 1n)],
  ['order 2 with the sign bit', () => yBytes(P25519 - 1n, true)],
  ['order 4 (y = 0)', () => yBytes(0n)],
  ['order 4, non-canonical y = p', () => yBytes(P25519)],
  // the two order-8 points of libsodium's small-order blocklist
  ['order 8', () => Buffer.from('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', 'hex')],
  ['order 8, the other', () => Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex')],
];

describe('Ed25519 recipients: the point check agessh makes when it parses the key', () => {
  async function cli(args: string[]) {
    const { main } = await import('../src/cli/main.js');
    const out: (Uint8Array | string)[] = [];
    let err = '';
    const code = await main(args, { stdout: (d) => out.push(d), stderr: (d) => (err += d), env: { HOME: emptyHome, PATH: process.env.PATH ?? '' }, cwd: dir });
    return { code, stdout: Buffer.concat(out.map((d) => Buffer.from(d))).toString('utf8'), stderr: err };
  }

  it.runIf(bin).each(ED25519_POINT_CASES)('%s: sops-ts encrypts, or fails, exactly as sops does', async (_name, key) => {
    const line = ed25519Line(key());
    const file = tmpFile(PLAIN);
    const theirs = sops(['encrypt', '--age', line, file], {});
    const ours = await cli(['encrypt', '--age', line, file]);
    expect(ours.stderr).toBe(theirs.stderr.toString());
    expect(ours.code).toBe(theirs.code);
    if (theirs.code === 0) {
      // the same stanza kind and tag (the share is random)
      const tagOf = (enc: string) => stanzaArgs(enc)[0]!.split(' ').slice(0, 2);
      expect(tagOf(ours.stdout)).toEqual(tagOf(theirs.stdout.toString('utf8')));
    }
  });

  it('accepts exactly the encodings a ZIP-215 decoder accepts (noble, zip215: Go SetBytes\'s rule), for random and edge keys', async () => {
    const keys = [...ED25519_POINT_CASES.slice(2).map(([, k]) => k()), ...Array.from({ length: 200 }, () => crypto.getRandomValues(new Uint8Array(32)))];
    let accepted = 0;
    for (const key of keys) {
      let oracle = true;
      try {
        ed25519.Point.fromBytes(key, true);
      } catch {
        oracle = false;
      }
      const line = ed25519Line(key);
      let ours = true;
      try {
        await checkAgeRecipient(line);
      } catch (e) {
        ours = false;
        expect((e as Error).message).toBe(`failed to parse input as age-ssh public key: malformed SSH recipient: ${JSON.stringify(line)}: invalid Ed25519 public key: edwards25519: invalid point encoding`);
      }
      expect(ours, Buffer.from(key).toString('hex')).toBe(oracle);
      if (ours) accepted++;
    }
    // about half of random y are on the curve: both branches were exercised
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBeLessThan(keys.length - 50);
  });

  it.runIf(bin)('a small-order share in an ssh-ed25519 stanza: the identity fails with sops\'s text', async () => {
    const enc = sopsEncrypt(pub('ed'));
    const block = /enc: \|\n((?: {12}.*\n)+)/.exec(enc)!;
    const file = new TextDecoder().decode(armor.decode(block[1]!.replace(/^ {12}/gm, '')));
    // the share (third argument) becomes the order-4 point u = 0
    const forged = file.replace(/^(-> ssh-ed25519 \S+ )\S+$/m, `$1${Buffer.alloc(32).toString('base64').replace(/=+$/, '')}`);
    expect(forged).not.toBe(file);
    const armored = armor.encode(new TextEncoder().encode(forged)).trimEnd().split('\n').map((l) => ' '.repeat(12) + l).join('\n') + '\n';
    const bad = enc.replace(block[1]!, armored);
    const s = sopsDecrypt(bad, { SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys['ed']! });
    expect(s.code).toBe(128);
    const err = await decrypt(bad, { format: 'yaml', identities: [new EnvAgeIdentity({ HOME: emptyHome, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys['ed']! })] }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(s.stderr.trim());
  });
});

describe('PKCS #8 Ed25519 private keys (the public key derived from the seed, synchronously)', () => {
  it('the public key is what OpenSSL derives; sops decrypts what sops-ts encrypts to it', async () => {
    for (let i = 0; i < 3; i++) {
      const p = join(dir, `p8-ed-${i}.pem`);
      execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', p], { stdio: 'ignore' });
      const spki = execFileSync('openssl', ['pkey', '-in', p, '-pubout', '-outform', 'DER']);
      const id = parseSshIdentity(readFileSync(p, 'utf8'));
      expect(id).toBeInstanceOf(SshEd25519Identity);
      expect(id.publicKey.type === 'ssh-ed25519' && Buffer.from(id.publicKey.key).equals(spki.subarray(spki.length - 32))).toBe(true);
      const line = formatSshPublicKey(id.publicKey);
      const enc = await encrypt(PLAIN, { format: 'yaml', age: [line] });
      expect(await decrypt(enc, { format: 'yaml', ageIdentities: [readFileSync(p, 'utf8')] })).toBe(PLAIN);
      if (bin) {
        const s = sopsDecrypt(enc, { SOPS_AGE_SSH_PRIVATE_KEY_FILE: p });
        expect(s.stderr).toBe('');
        expect(s.stdout.toString('utf8')).toBe(PLAIN);
      }
    }
  });
});
