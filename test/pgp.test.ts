// PGP master keys, both ways sops-ts does them: the gpg binary (src/node/pgp-gpg.ts, run as
// sops 3.13 runs it) and OpenPGP.js in process (src/keysources/pgp.ts). Keys are generated at
// test time in throw-away GnuPG homes; every result is cross-checked against Go sops 3.13.3 and
// gpg itself, in both directions. Skipped with a visible message when sops or gpg is missing.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SopsError } from '../src/errors.js';
import type { PgpStoredKey } from '../src/metadata.js';
import { PgpIdentity, PgpRecipient } from '../src/keysources/pgp.js';
import { GpgIdentity, GpgRecipient, shortenFingerprint } from '../src/node/pgp-gpg.js';
import { decrypt, decryptDocument, encrypt, type DecryptOptions } from '../src/sops.js';
import { exportPublicKey, exportSecretKey, generateKey, gpg, killAgent, makeGnuPGHome, requireGpg } from './helpers/gpg.js';
import { assertIsGoSops, cleanHomeDir, requireSops, runSops } from './helpers/sops.js';

const bin = requireSops();
const hasGpg = requireGpg();
const PLAIN = 'password: hunter2\nlist:\n    - 1\n    - two\n';
const PASSPHRASE = 'correct horse battery staple';

let home = ''; // the keyring with every test key
let empty = ''; // a keyring without any key
let work = '';
let ed = ''; // ed25519 cert + cv25519 encr
let rsa = ''; // one rsa3072 key that certifies and encrypts (messages name the primary key)
let pp = ''; // ed25519/cv25519, passphrase-protected
let edPub = '';
let edSec = '';
let rsaPub = '';
let rsaSec = '';
let ppSec = '';

/** The environment sops-ts's gpg path and sops get: PATH, an empty HOME, a GnuPG home. */
function envFor(gnupgHome: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cleanHomeDir(), GNUPGHOME: gnupgHome, ...extra };
}

let n = 0;
function tmpFile(name: string, data: string): string {
  const p = join(work, `${n++}-${name}`);
  writeFileSync(p, data);
  return p;
}

/** `sops encrypt` a YAML plaintext with the given flags; returns the encrypted text. */
function sopsEncrypt(flags: string[], env: Record<string, string> = { GNUPGHOME: home }, plain = PLAIN): string {
  const r = runSops(['encrypt', ...flags, tmpFile('plain.yaml', plain)], { env });
  expect(r.stderr, 'sops encrypt').toBe('');
  expect(r.code).toBe(0);
  return r.stdout.toString('utf8');
}

/** `sops decrypt` an encrypted YAML text. */
function sopsDecrypt(enc: string, env: Record<string, string> = { GNUPGHOME: home }): { code: number; stdout: string; stderr: string } {
  const r = runSops(['decrypt', tmpFile('enc.yaml', enc)], { env });
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

/** The error `p` rejects with; fails the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  const r = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(r).toBeInstanceOf(Error);
  return r as Error;
}

async function pgpKeys(enc: string, options: DecryptOptions): Promise<PgpStoredKey[]> {
  const doc = await decryptDocument(enc, options);
  return doc.metadata.keyGroups.flat().filter((k): k is PgpStoredKey => k.type === 'pgp');
}

/** The `pgp:` block of a sops YAML file with the armored bodies and times masked: its shape. */
function pgpShape(yaml: string): string {
  const lines = yaml.split('\n');
  const start = lines.indexOf('    pgp:');
  expect(start).toBeGreaterThan(0);
  let end = start + 1;
  while (end < lines.length && /^( {8}|$)/.test(lines[end]!)) end++; // the armor has an empty line
  return lines
    .slice(start, end)
    .filter((l) => l !== '' && !/^ {12}(?!-----)/.test(l)) // armored body lines
    .map((l) => l.replace(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/, '"<TIME>"'))
    .join('\n');
}

const ifReady = bin !== undefined && hasGpg ? describe : describe.skip;

ifReady('PGP master keys (gpg binary and OpenPGP.js) against Go sops 3.13.3', () => {
  beforeAll(() => {
    assertIsGoSops(bin!);
    work = mkdtempSync(join(tmpdir(), 'sops-ts-pgp-'));
    home = makeGnuPGHome();
    empty = makeGnuPGHome();
    gpg(empty, ['--batch', '--list-keys']); // creates pubring.kbx, so gpg's stderr is the same on every run
    ed = generateKey(home, 'sops-ts test <t@example.invalid>', 'ed25519');
    rsa = generateKey(home, 'sops-ts rsa <r@example.invalid>', 'rsa3072');
    pp = generateKey(home, 'sops-ts pass <p@example.invalid>', 'ed25519', PASSPHRASE);
    edPub = exportPublicKey(home, ed);
    edSec = exportSecretKey(home, ed);
    rsaPub = exportPublicKey(home, rsa);
    rsaSec = exportSecretKey(home, rsa);
    ppSec = exportSecretKey(home, pp, PASSPHRASE);
  }, 20_000);

  afterAll(() => {
    for (const dir of [home, empty]) {
      if (!dir) continue;
      killAgent(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('sops encrypts → sops-ts decrypts', () => {
    for (const which of ['ed25519', 'rsa3072'] as const) {
      it(`${which}: through gpg and through OpenPGP.js with the exported private key`, async () => {
        const fp = which === 'ed25519' ? ed : rsa;
        const enc = sopsEncrypt(['--pgp', fp]);
        expect(await decrypt(enc, { format: 'yaml', identities: [new GpgIdentity({ env: envFor(home) })] })).toBe(PLAIN);
        const sec = which === 'ed25519' ? edSec : rsaSec;
        expect(await decrypt(enc, { format: 'yaml', identities: [new PgpIdentity(sec)] })).toBe(PLAIN);
      });
    }

    it('OpenPGP.js claims only its own keys: the message names a subkey, fp the primary key', async () => {
      const enc = sopsEncrypt(['--pgp', `${ed},${rsa}`]);
      const keys = await pgpKeys(enc, { format: 'yaml', identities: [new GpgIdentity({ env: envFor(home) })] });
      expect(keys.map((k) => k.fp)).toEqual([ed, rsa]);
      const id = new PgpIdentity(rsaSec);
      expect(await id.unwrap(keys[0]!)).toBeNull();
      const dataKey = await id.unwrap(keys[1]!);
      expect(dataKey?.length).toBe(32);
      // The same data key as gpg recovers from the other entry.
      expect(await new GpgIdentity({ env: envFor(home) }).unwrap(keys[0]!)).toEqual(dataKey);
      // Claimed by the message's key ID even when fp is not a fingerprint (sops keeps what --pgp said).
      expect(await id.unwrap({ ...keys[1]!, fp: 'r@example.invalid' })).toEqual(dataKey);
      // Several private keys in one armored block (gpg --export-secret-keys of everything).
      const all = gpg(home, ['--batch', '--export-secret-keys', '--armor', ed, rsa]).stdout.toString('utf8');
      expect(await new PgpIdentity(all).unwrap(keys[0]!)).toEqual(dataKey);
    });
  });

  describe('sops-ts encrypts → sops and gpg decrypt', () => {
    const dataKey = new Uint8Array(32).map((_, i) => i * 7 + 1);
    for (const which of ['ed25519', 'rsa3072'] as const) {
      for (const path of ['gpg', 'OpenPGP.js'] as const) {
        it(`${which} through ${path}: sops decrypts with the MAC verified, gpg -d gives the data key`, async () => {
          const fp = which === 'ed25519' ? ed : rsa;
          const recipient = path === 'gpg' ? new GpgRecipient(fp, { env: envFor(home) }) : await PgpRecipient.fromArmored(which === 'ed25519' ? edPub : rsaPub);
          expect(recipient.name).toBe(fp);
          const enc = await encrypt(PLAIN, { format: 'yaml', recipients: [recipient], dataKey });
          const r = sopsDecrypt(enc);
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
          expect(r.stdout).toBe(PLAIN);
          const [key] = await pgpKeys(enc, { format: 'yaml', identities: [new PgpIdentity(which === 'ed25519' ? edSec : rsaSec)] });
          expect(key!.fp).toBe(fp);
          expect(key!.enc).toMatch(/^-----BEGIN PGP MESSAGE-----\n\n[\s\S]+\n-----END PGP MESSAGE-----$/);
          const d = gpg(home, ['--batch', '-d'], key!.enc);
          expect(d.code, d.stderr).toBe(0);
          expect(new Uint8Array(d.stdout)).toEqual(dataKey);
        });
      }
    }
  });

  it('metadata: fp as given (spaces removed, case kept) and created_at in whole UTC seconds, as sops writes them', async () => {
    // sops keeps the --pgp text as the fp: lower case stays lower case.
    const given = `${ed.toLowerCase().slice(0, 16)} ${ed.toLowerCase().slice(16)}`;
    const theirs = sopsEncrypt(['--pgp', given]);
    const before = Math.floor(Date.now() / 1000) * 1000;
    const ours = await encrypt(PLAIN, { format: 'yaml', recipients: [new GpgRecipient(given, { env: envFor(home) })] });
    const after = Date.now();
    expect(pgpShape(ours)).toBe(pgpShape(theirs));
    expect(pgpShape(ours)).toBe(['    pgp:', '        - created_at: "<TIME>"', '          enc: |-', '            -----BEGIN PGP MESSAGE-----', '            -----END PGP MESSAGE-----', `          fp: ${ed.toLowerCase()}`].join('\n'));
    const [key] = await pgpKeys(ours, { format: 'yaml', identities: [new GpgIdentity({ env: envFor(home) })] });
    expect(key!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const t = Date.parse(key!.createdAt);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
    // OpenPGP.js writes the primary fingerprint upper-case, as sops does when given gpg's listing.
    const viaJs = await encrypt(PLAIN, { format: 'yaml', recipients: [await PgpRecipient.fromArmored(edPub)] });
    expect(pgpShape(viaJs)).toBe(pgpShape(sopsEncrypt(['--pgp', ed])));
  });

  it('a mixed age + pgp file works both ways, with either key alone', async () => {
    const ageId = await generateIdentity();
    const ageR = await identityToRecipient(ageId);
    const ours = await encrypt(PLAIN, { format: 'yaml', age: [ageR], recipients: [new GpgRecipient(ed, { env: envFor(home) })] });
    const viaAge = sopsDecrypt(ours, { GNUPGHOME: empty, SOPS_AGE_KEY: ageId });
    expect([viaAge.code, viaAge.stdout]).toEqual([0, PLAIN]);
    const viaPgp = sopsDecrypt(ours, { GNUPGHOME: home });
    expect([viaPgp.code, viaPgp.stdout]).toEqual([0, PLAIN]);

    const theirs = sopsEncrypt(['--age', ageR, '--pgp', ed]);
    expect(pgpShape(theirs)).toBe(pgpShape(ours));
    expect(await decrypt(theirs, { format: 'yaml', identities: [new GpgIdentity({ env: envFor(home) })] })).toBe(PLAIN);
    expect(await decrypt(theirs, { format: 'yaml', identities: [new PgpIdentity(edSec)] })).toBe(PLAIN);
    expect(await decrypt(theirs, { format: 'yaml', ageIdentities: [ageId] })).toBe(PLAIN);
  });

  describe("failures carry sops's text", () => {
    it('decrypt with the key missing from the keyring: the same report as sops decrypt', async () => {
      const enc = sopsEncrypt(['--pgp', ed]);
      const theirs = sopsDecrypt(enc, { GNUPGHOME: empty });
      expect(theirs.code).toBe(128);
      const err = await rejection(decrypt(enc, { format: 'yaml', identities: [new GpgIdentity({ env: envFor(empty) })] }));
      expect(err).toBeInstanceOf(SopsError);
      expect((err as SopsError).code).toBe('ERR_NO_DATA_KEY');
      expect(err.message + '\n').toBe(theirs.stderr);
      expect(theirs.stderr).toContain('gpg: decryption failed: No secret key');
    });

    it('encrypt to a key missing from the keyring: the per-key text sops prints', async () => {
      const r = runSops(['encrypt', '--pgp', ed, tmpFile('plain.yaml', PLAIN)], { env: { GNUPGHOME: empty } });
      expect(r.code).not.toBe(0);
      const err = await rejection(new GpgRecipient(ed, { env: envFor(empty) }).wrap(new Uint8Array(32)));
      expect(r.stderr).toBe(`Could not generate data key: [failed to encrypt new data key with master key "${ed}": ${err.message}]\n`);
      expect(err.message).toMatch(/^could not encrypt data key with PGP key: .*No public key/s);
    });

    it('SOPS_GPG_EXEC is taken whole, not split: "gpg --verbose" fails as in sops', async () => {
      const enc = sopsEncrypt(['--pgp', ed]);
      const extra = { SOPS_GPG_EXEC: 'gpg --verbose' };
      const theirs = sopsDecrypt(enc, { GNUPGHOME: home, ...extra });
      expect(theirs.code).toBe(128);
      const err = await rejection(decrypt(enc, { format: 'yaml', identities: [new GpgIdentity({ env: envFor(home, extra) })] }));
      expect(err.message + '\n').toBe(theirs.stderr);
    });
  });

  it('SOPS_GPG_EXEC names the binary: a wrapper sees the same argv from sops-ts as from sops', async () => {
    const log = join(work, 'gpg-argv.log');
    const wrapper = join(work, 'gpg wrapper.sh'); // a space in the path: no shell, no splitting
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec gpg "$@"\n`);
    chmodSync(wrapper, 0o755);
    const extra = { SOPS_GPG_EXEC: wrapper };
    const argvLog = () => {
      const s = readFileSync(log, 'utf8');
      writeFileSync(log, '');
      return s;
    };
    writeFileSync(log, '');

    const theirs = sopsEncrypt(['--pgp', ed], { GNUPGHOME: home, ...extra });
    const sopsEncryptArgv = argvLog();
    expect(sopsDecrypt(theirs, { GNUPGHOME: home, ...extra }).stdout).toBe(PLAIN);
    const sopsDecryptArgv = argvLog();

    const ours = await encrypt(PLAIN, { format: 'yaml', recipients: [new GpgRecipient(ed, { env: envFor(home, extra) })] });
    expect(argvLog()).toBe(sopsEncryptArgv);
    expect(await decrypt(ours, { format: 'yaml', identities: [new GpgIdentity({ env: envFor(home, extra) })] })).toBe(PLAIN);
    expect(argvLog()).toBe(sopsDecryptArgv);

    expect(sopsEncryptArgv).toBe(`--no-default-recipient --yes --encrypt -a -r ${ed} --trusted-key ${shortenFingerprint(ed)} --no-encrypt-to\n`);
    expect(sopsDecryptArgv).toBe('-d\n');
  });

  describe('passphrase-protected key through OpenPGP.js', () => {
    it('right passphrase (text or function) decrypts; wrong or none fails without leaking it', async () => {
      const enc = sopsEncrypt(['--pgp', pp]);
      expect(await decrypt(enc, { format: 'yaml', identities: [new PgpIdentity(ppSec, { passphrase: PASSPHRASE })] })).toBe(PLAIN);
      const asked: string[] = [];
      const prompt = (fp: string) => {
        asked.push(fp);
        return PASSPHRASE;
      };
      expect(await decrypt(enc, { format: 'yaml', identities: [new PgpIdentity(ppSec, { passphrase: prompt })] })).toBe(PLAIN);
      expect(asked).toEqual([pp]);

      const wrong = await rejection(decrypt(enc, { format: 'yaml', identities: [new PgpIdentity(ppSec, { passphrase: 'tr0ub4dor&3' })] }));
      expect((wrong as SopsError).code).toBe('ERR_NO_DATA_KEY');
      expect(wrong.message).toContain(`${pp}: FAILED`);
      expect(wrong.message.replace(/\n\s+\| /g, ' ')).toContain(`could not decrypt data key with PGP key: private key ${pp}: Error decrypting private key: Incorrect key passphrase`);
      expect(wrong.message).not.toContain('tr0ub4dor');

      const none = await rejection(decrypt(enc, { format: 'yaml', identities: [new PgpIdentity(ppSec)] }));
      expect(none.message.replace(/\n\s+\| /g, ' ')).toContain(`private key ${pp} is protected by a passphrase and none was given`);
    });

    it('OpenPGP.js encrypts to the protected key; gpg decrypts with the passphrase', async () => {
      const pub = exportPublicKey(home, pp);
      const stored = await (await PgpRecipient.fromArmored(pub)).wrap(new Uint8Array(32).fill(9));
      const d = gpg(home, ['--batch', '--pinentry-mode', 'loopback', '--passphrase', PASSPHRASE, '-d'], stored.enc);
      expect(d.code, d.stderr).toBe(0);
      expect(new Uint8Array(d.stdout)).toEqual(new Uint8Array(32).fill(9));
      expect(await new PgpIdentity(ppSec, { passphrase: PASSPHRASE }).unwrap(stored)).toEqual(new Uint8Array(32).fill(9));
    });
  });

  it('PgpRecipient.fromArmored rejects text that is not exactly one usable key', async () => {
    const two = gpg(home, ['--batch', '--export', '--armor', ed, rsa]).stdout.toString('utf8');
    await expect(PgpRecipient.fromArmored(two)).rejects.toMatchObject({ code: 'ERR_INVALID_KEY', message: 'expected one PGP key, found 2' });
    await expect(PgpRecipient.fromArmored('not a key')).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    // A private key is accepted: only its public part is used.
    expect((await PgpRecipient.fromArmored(edSec)).name).toBe(ed);
  });
});
