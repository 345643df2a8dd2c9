// The CLI with the non-age key kinds and age's special keys: PGP through
// gpg, AWS KMS (a local KMS, test/helpers/local-kms.ts), age SSH recipients
// and identities, age plugins. Every scenario runs Go sops 3.13.3 and then
// sops-ts's `main()` in two directories holding the same starting files
// (encrypted by sops itself), with the same environment, and compares:
//  - the exit code (and asserts sops's, so a scenario cannot drift into
//    testing something else), stderr with the run directory, log times and
//    gpg's per-run noise masked, stdout;
//  - every file of the directory afterwards: untouched by both, or rewritten
//    by both; encrypted ones compared outside their random parts
//    (ciphertexts, wrapped data keys, times), so the metadata's shape must
//    agree: `pgp:` entries with `fp` and `created_at`, `kms:` entries with
//    `arn`, `role`, `context`, `aws_profile`, `created_at`, key group order;
//  - encrypted results both ways: sops decrypts ours (MAC verified) to what
//    it decrypts from its own, and we decrypt sops's to the same bytes.
//
// Prerequisites are found at load time; a missing one skips its scenarios
// with a visible message, or fails under SOPS_TS_REQUIRE_SOPS=1.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { encodeAgePluginIdentity, encodeAgePluginRecipient } from '../src/node/age-plugin.js';
import { generateKey, gpg, killAgent, makeGnuPGHome, requireGpg } from './helpers/gpg.js';
import { ARN1, ARN2, DENIED_ROLE, MISSING, PROFILE, ROLE, requireLocalKms, startLocalKms, useAwsEnv, type LocalKms } from './helpers/local-kms.js';
import { REPO_ROOT, assertIsGoSops, cleanHomeDir, loadManifest, requireSops, vectorPath } from './helpers/sops.js';

// ------------------------------------------------------------ prerequisites

const sopsBin = requireSops();
const hasGpg = sopsBin !== undefined && requireGpg();
const hasKms = sopsBin !== undefined && (await requireLocalKms('CLI key scenarios with AWS KMS'));

function requireTool(what: string, ok: boolean, hint: string): boolean {
  if (ok || sopsBin === undefined) return ok;
  if (process.env.SOPS_TS_REQUIRE_SOPS === '1') throw new Error(`[sops-ts] ${what} not found (SOPS_TS_REQUIRE_SOPS=1); ${hint}`);
  console.warn(`[sops-ts] CLI key scenarios with ${what} SKIPPED: not found; ${hint}`);
  return false;
}
const hasSsh = requireTool('ssh-keygen', spawnSync('ssh-keygen', ['-?']).error === undefined, 'install OpenSSH');
const PLUGIN_DIR = join(REPO_ROOT, '.tools', 'age-plugins');
const AGE_KEYGEN = join(REPO_ROOT, '.tools', 'age', 'age-keygen');
const hasPlugin = requireTool(
  'age-plugin-sopstest and age-keygen',
  existsSync(join(PLUGIN_DIR, 'age-plugin-sopstest')) && existsSync(AGE_KEYGEN),
  'build them with bash scripts/install-age-plugins.sh',
);

type Need = 'gpg' | 'kms' | 'ssh' | 'plugin';
const have: Record<Need, boolean> = { gpg: hasGpg, kms: hasKms, ssh: hasSsh, plugin: hasPlugin };

// ------------------------------------------------------------ keys and fixtures

const manifest = loadManifest();
const R1 = manifest.keys['age-1']!.recipient;
const R2 = manifest.keys['age-2']!.recipient;
const ageKeyText = (n: number) => readFileSync(vectorPath(manifest.keys[`age-${n}`]!.file), 'utf8');

/** A fingerprint no keyring of these tests holds. */
const UNKNOWN_FP = '0123456789ABCDEF0123456789ABCDEF01234567';

// Made only when the scenarios run (a skipped file's hooks do not run, and would leave it behind).
const root = sopsBin !== undefined ? mkdtempSync(join(tmpdir(), 'sops-ts-cli-keys-')) : join(tmpdir(), 'sops-ts-cli-keys-unused');
const fixtures = join(root, 'fixtures');
/** Key material and state every scenario sees; filled in `beforeAll`. */
const K = {
  gnupg: '', // keyring with FP1 and FP2 (secret keys too)
  emptyGnupg: '', // a keyring without keys (initialised, so gpg prints no "created" notes)
  fp1: '',
  fp2: '',
  ageKeys: '', // SOPS_AGE_KEY_FILE with age-1 and age-2
  sshPub: '', // ssh-ed25519 public key line
  sshKey: '', // its private key file
  sshHome: '', // a HOME with .ssh/id_ed25519
  pluginRecipient: '',
  pluginKeys: '', // a key file holding the sopstest plugin identity
  pluginPath: '', // PATH with the plugin directory first
  gpgWrap: '', // a gpg that logs its arguments to $GPGLOG, then runs gpg
  editor: '', // an EDITOR that writes a new document
  editorChange: '', // an EDITOR that changes one value
};
let localKms: LocalKms | undefined;
let restoreEnv: () => void = () => {};

const PLAIN_YAML = 'db:\n    user: admin\n    password: hunter2\nlist:\n    - 1\n    - two\n';
const PLAIN_JSON = '{\n\t"user": "admin",\n\t"n": 5\n}\n';

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** The environment of every run: PATH, an empty HOME, the keyring, age keys, the local AWS. */
function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cleanHomeDir(),
    ...(K.gnupg !== '' ? { GNUPGHOME: K.gnupg } : {}),
    SOPS_AGE_KEY_FILE: K.ageKeys,
    ...(localKms?.env ?? {}),
  };
}

/** `base` with `over` applied; an `undefined` value removes the variable. */
function withEnv(base: Record<string, string>, over: Record<string, string | undefined>): Record<string, string> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * Go sops, asynchronously: the KMS front server runs in this process, so a
 * synchronous spawn would deadlock.
 */
function theirs(args: string[], cwd: string, env: Record<string, string>, stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(sopsBin!, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.end(stdin);
  });
}

async function ours(args: string[], cwd: string, env: Record<string, string>, stdin = ''): Promise<Run> {
  const out: Buffer[] = [];
  let stderr = '';
  const code = await main(args, {
    stdout: (d) => out.push(Buffer.from(d)),
    stderr: (d) => (stderr += d),
    env,
    cwd,
    stdin: async () => new Uint8Array(Buffer.from(stdin)),
  });
  return { code, stdout: Buffer.concat(out), stderr };
}

/** Encrypt a fixture with sops; fails loudly when sops refuses. */
async function sopsFixture(name: string, args: string[], env: Record<string, string> = baseEnv()): Promise<void> {
  const r = await theirs(['encrypt', ...args], fixtures, env);
  if (r.code !== 0) throw new Error(`could not make fixture ${name} (sops encrypt ${args.join(' ')}): ${r.stderr}`);
  writeFileSync(join(fixtures, name), r.stdout);
}

function script(name: string, body: string): string {
  const p = join(root, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

beforeAll(async () => {
  if (sopsBin === undefined) return;
  assertIsGoSops(sopsBin);
  mkdirSync(fixtures);
  writeFileSync(join(fixtures, 'plain.yaml'), PLAIN_YAML);
  writeFileSync(join(fixtures, 'plain.json'), PLAIN_JSON);
  K.ageKeys = join(root, 'age12.txt');
  writeFileSync(K.ageKeys, `${ageKeyText(1)}\n${ageKeyText(2)}`);
  K.editor = script('editor-new', `printf 'made: by the editor\\nn: 7\\n' > "$1"`);
  K.editorChange = script('editor-change', `sed -i 's/hunter2/changed/' "$1"`);
  await sopsFixture('age.yaml', ['--age', R1, 'plain.yaml']);

  if (hasGpg) {
    K.gnupg = makeGnuPGHome();
    K.fp1 = generateKey(K.gnupg, 'sops-ts cli one <one@example.com>', 'ed25519');
    K.fp2 = generateKey(K.gnupg, 'sops-ts cli two <two@example.com>', 'ed25519');
    K.emptyGnupg = makeGnuPGHome();
    gpg(K.emptyGnupg, ['--batch', '--list-keys']);
    gpg(K.emptyGnupg, ['--batch', '--list-secret-keys']);
    K.gpgWrap = script('gpg-wrap', 'printf "%s\\n" "$*" >> "$GPGLOG"\nexec gpg "$@"');
    await sopsFixture('pgp.yaml', ['--pgp', K.fp1, 'plain.yaml']);
    await sopsFixture('pgp12.yaml', ['--pgp', `${K.fp1},${K.fp2}`, 'plain.yaml']);
    await sopsFixture('mixed.yaml', ['--age', R1, '--pgp', K.fp1, 'plain.yaml']);
    await sopsFixture('pgp.json', ['--pgp', K.fp1, 'plain.json']);
    writeFileSync(join(fixtures, '.sops.yaml'), `creation_rules:\n  - key_groups:\n      - pgp: [${K.fp1}]\n      - age: [${R1}]\n`);
    await sopsFixture('groups2.yaml', ['plain.yaml']);
    writeFileSync(join(fixtures, '.sops.yaml'), `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - pgp: [${K.fp1}]\n      - age: [${R1}]\n      - pgp: [${K.fp2}]\n`);
    await sopsFixture('groups3.yaml', ['plain.yaml']);
    rmSync(join(fixtures, '.sops.yaml'));
  }
  if (hasKms) {
    localKms = await startLocalKms(mkdtempSync(join(root, 'kms-')));
    restoreEnv = useAwsEnv(localKms.env);
    await sopsFixture('kms.yaml', ['--kms', ARN1, 'plain.yaml']);
    await sopsFixture('kms12.yaml', ['--kms', `${ARN1},${ARN2}`, '--encryption-context', 'app:web,env:prod', 'plain.yaml']);
    await sopsFixture('kmsage.yaml', ['--kms', ARN1, '--age', R1, 'plain.yaml']);
  }
  if (hasSsh) {
    const dir = join(root, 'ssh');
    mkdirSync(dir);
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cli@sops-ts test', '-f', join(dir, 'id_ed25519')]);
    K.sshKey = join(dir, 'id_ed25519');
    K.sshPub = readFileSync(K.sshKey + '.pub', 'utf8').trim();
    K.sshHome = join(root, 'ssh-home');
    mkdirSync(join(K.sshHome, '.ssh'), { recursive: true, mode: 0o700 });
    copyFileSync(K.sshKey, join(K.sshHome, '.ssh', 'id_ed25519'));
    copyFileSync(K.sshKey + '.pub', join(K.sshHome, '.ssh', 'id_ed25519.pub'));
    chmodSync(join(K.sshHome, '.ssh', 'id_ed25519'), 0o600);
    await sopsFixture('ssh.yaml', ['--age', K.sshPub, 'plain.yaml']);
  }
  if (hasPlugin) {
    // The sopstest plugin wraps with an ordinary X25519 key carried in its payload (mode 0: no questions).
    const id = spawnSync(AGE_KEYGEN, []).stdout.toString().split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
    const rcp = spawnSync(AGE_KEYGEN, ['-y'], { input: id + '\n' }).stdout.toString().trim();
    const payload = (s: string) => new Uint8Array([0, ...Buffer.from(s)]);
    K.pluginRecipient = encodeAgePluginRecipient('sopstest', payload(rcp));
    K.pluginKeys = join(root, 'plugin.txt');
    writeFileSync(K.pluginKeys, `# sopstest plugin identity\n${encodeAgePluginIdentity('sopstest', payload(id))}\n`);
    K.pluginPath = `${PLUGIN_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`;
    await sopsFixture('plugin.yaml', ['--age', K.pluginRecipient, 'plain.yaml'], withEnv(baseEnv(), { PATH: K.pluginPath }));
  }
}, 60_000);

afterAll(async () => {
  restoreEnv();
  await localKms?.stop();
  if (K.gnupg !== '') killAgent(K.gnupg);
  if (K.emptyGnupg !== '') killAgent(K.emptyGnupg);
  rmSync(root, { recursive: true, force: true });
  for (const h of [K.gnupg, K.emptyGnupg]) if (h !== '') rmSync(h, { recursive: true, force: true });
});

// ------------------------------------------------------------ comparing

const ENC = /ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:(\w+)\]/g;

/** An encrypted document with its random parts masked: what must agree between sops's and ours. */
function maskEncrypted(s: string): string {
  return s
    .replace(/-----BEGIN (AGE ENCRYPTED FILE|PGP MESSAGE)-----[\s\S]*?-----END \1-----/g, '<$1>')
    .replace(ENC, (_m, type: string) => `ENC[${type}]`)
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME')
    // a KMS entry's enc is one base64 word
    .replace(/(\benc"?\s*[:=]\s*"?)(?![<|])[A-Za-z0-9+/=]+/g, '$1<KMS>');
}

/** stderr with what legitimately differs between two runs masked. */
function maskStderr(s: string, dir: string): string {
  return s
    .split(dir).join('<DIR>')
    .replace(/time="[^"]*"/g, 'time="<T>"')
    .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /gm, '<T> ');
}

const isEncrypted = (b: Buffer) => /sops_version|"sops":|^sops:/m.test(b.toString('utf8'));

function snapshot(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const n of readdirSync(dir)) m.set(n, readFileSync(join(dir, n)));
  return m;
}

function formatOf(name: string): string {
  return name.endsWith('.json') ? 'json' : name.endsWith('.env') ? 'dotenv' : name.endsWith('.ini') ? 'ini' : name.endsWith('.yaml') ? 'yaml' : 'binary';
}

/**
 * Both ways: sops decrypts its own result and ours (MAC verified) to the
 * same bytes, and we decrypt sops's result to them too.
 */
async function crossDecrypt(what: string, theirText: Buffer, ourText: Buffer, format: string, env: Record<string, string>): Promise<void> {
  const dir = mkdtempSync(join(root, 'check-'));
  writeFileSync(join(dir, 'theirs.enc'), theirText);
  writeFileSync(join(dir, 'ours.enc'), ourText);
  const types = ['--input-type', format, '--output-type', format];
  const t = await theirs(['decrypt', ...types, 'theirs.enc'], dir, env);
  expect(t.code, `${what}: sops decrypts its own result: ${t.stderr}`).toBe(0);
  const o = await theirs(['decrypt', ...types, 'ours.enc'], dir, env);
  expect(o.stderr, `${what}: sops decrypts ours`).toBe('');
  expect(o.code, `${what}: sops decrypts ours`).toBe(0);
  expect(o.stdout.toString('utf8'), `${what}: sops's plaintext of ours`).toBe(t.stdout.toString('utf8'));
  const u = await ours(['decrypt', ...types, 'theirs.enc'], dir, env);
  expect(u.stderr, `${what}: we decrypt sops's`).toBe('');
  expect(u.code, `${what}: we decrypt sops's`).toBe(0);
  expect(u.stdout.toString('utf8'), `${what}: our plaintext of sops's`).toBe(t.stdout.toString('utf8'));
  rmSync(dir, { recursive: true, force: true });
}

interface Scenario {
  name: string;
  needs: Need[];
  /** argv; a function when it names keys made in `beforeAll` */
  args: () => string[];
  /** changes to the base environment (undefined removes a variable) */
  env?: () => Record<string, string | undefined>;
  /** a `.sops.yaml` in the run directory */
  config?: () => string;
  stdin?: string;
  /** sops's exit code: asserted, so the scenario stays what it says */
  code: number;
  /** stdout is an encrypted document in this format */
  encrypted?: string;
  /** the environment that decrypts the results (default: the run's) */
  decryptEnv?: () => Record<string, string | undefined>;
  /** run gpg through a wrapper that logs its argv: the logs must agree, and gpg must have run (or not) */
  gpgLog?: 'run' | 'not run';
  /** text sops's stderr must contain (what the scenario is about) */
  stderrHas?: () => string | RegExp;
  /**
   * A difference between sops-ts and sops found by this scenario, to be
   * fixed in src/: until it is, the comparison must fail, and at the
   * assertion `at` names (e.g. `stderr`), so a new difference is not hidden.
   */
  differs?: { what: string; at: string };
}

const FIXTURE_FILES = ['plain.yaml', 'plain.json', 'age.yaml', 'pgp.yaml', 'pgp12.yaml', 'mixed.yaml', 'pgp.json', 'groups2.yaml', 'groups3.yaml', 'kms.yaml', 'kms12.yaml', 'kmsage.yaml', 'ssh.yaml', 'plugin.yaml'];

function runDir(tag: string, config: string | undefined): string {
  const d = mkdtempSync(join(root, `${tag}-`));
  for (const f of FIXTURE_FILES) if (existsSync(join(fixtures, f))) copyFileSync(join(fixtures, f), join(d, f));
  if (config !== undefined) writeFileSync(join(d, '.sops.yaml'), config);
  return d;
}

async function same(s: Scenario): Promise<void> {
  const args = s.args();
  const config = s.config?.();
  const env = withEnv(baseEnv(), s.env?.() ?? {});
  const [da, db] = [runDir('sops', config), runDir('ours', config)];
  const logs = [join(root, `gpg-${Math.random().toString(36).slice(2)}.log`), join(root, `gpg-${Math.random().toString(36).slice(2)}.log`)];
  const envA = s.gpgLog ? { ...env, SOPS_GPG_EXEC: K.gpgWrap, GPGLOG: logs[0]! } : env;
  const envB = s.gpgLog ? { ...env, SOPS_GPG_EXEC: K.gpgWrap, GPGLOG: logs[1]! } : env;
  const before = snapshot(da);
  // The KMS/STS requests each side makes are recorded by the front server.
  const record = <T>(f: () => Promise<T>) => (localKms ? localKms.recording(f) : f().then((result) => ({ result, calls: [] })));
  const { result: t, calls: theirCalls } = await record(() => theirs(args, da, envA, s.stdin));
  const { result: o, calls: ourCalls } = await record(() => ours(args, db, envB, s.stdin));
  expect(t.code, `sops's exit code (stderr: ${t.stderr})`).toBe(s.code);
  if (s.stderrHas) expect(t.stderr.replace(/\n\s+\| /g, ' ')).toMatch(s.stderrHas());
  expect(maskStderr(o.stderr, db), 'stderr').toBe(maskStderr(t.stderr, da));
  expect(o.code, 'exit code').toBe(t.code);
  const decEnv = s.decryptEnv ? withEnv(env, s.decryptEnv()) : env;
  if (s.encrypted !== undefined && t.code === 0) {
    expect(maskEncrypted(o.stdout.toString('utf8')), 'stdout (encrypted, masked)').toBe(maskEncrypted(t.stdout.toString('utf8')));
    await crossDecrypt('stdout', t.stdout, o.stdout, s.encrypted, decEnv);
  } else {
    expect(o.stdout.toString('latin1'), 'stdout').toBe(t.stdout.toString('latin1'));
  }
  if (s.gpgLog) {
    const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '<gpg not run>');
    expect(read(logs[0]!) !== '<gpg not run>', `sops ran gpg: ${read(logs[0]!)}`).toBe(s.gpgLog === 'run');
    expect(read(logs[1]!), 'gpg calls').toBe(read(logs[0]!));
  }
  // The directories afterwards.
  const [after, mine] = [snapshot(da), snapshot(db)];
  expect([...mine.keys()].sort(), 'files afterwards').toEqual([...after.keys()].sort());
  for (const [n, a] of after) {
    const b = mine.get(n)!;
    const orig = before.get(n);
    if (orig !== undefined && a.equals(orig)) {
      expect(b.equals(orig), `${n}: sops left it as it was, we did not`).toBe(true);
      continue;
    }
    if (!isEncrypted(a)) {
      expect(b.toString('latin1'), n).toBe(a.toString('latin1'));
      continue;
    }
    expect(orig === undefined || !b.equals(orig), `${n}: sops rewrote it, we did not`).toBe(true);
    expect(maskEncrypted(b.toString('utf8')), `${n} (masked)`).toBe(maskEncrypted(a.toString('utf8')));
    await crossDecrypt(n, a, b, formatOf(n), decEnv);
  }
  // The same AWS requests, in the same order (keys, contexts, regions, credentials, roles).
  const strip = (cs: typeof ourCalls) => cs.map(({ userAgent: _, ...c }) => c);
  expect(strip(ourCalls), 'KMS/STS requests').toEqual(strip(theirCalls));
  for (const d of [da, db]) rmSync(d, { recursive: true, force: true });
}

// ------------------------------------------------------------ scenarios

// Results are decrypted with every key unless a scenario names fewer: with
// fewer, the new entry itself must work (not just the age key beside it).
const noAge = () => ({ SOPS_AGE_KEY_FILE: undefined });
const onlySsh = () => ({ SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_SSH_PRIVATE_KEY_FILE: K.sshKey });
const pgpRule = () => `creation_rules:\n  - pgp: ${K.fp1},${K.fp2}\n`;

const SCENARIOS: Scenario[] = [
  // ---- PGP: encrypt
  { name: 'pgp: encrypt --pgp FP', needs: ['gpg'], args: () => ['encrypt', '--pgp', K.fp1, 'plain.yaml'], code: 0, encrypted: 'yaml' },
  { name: 'pgp: encrypt -p FP1,FP2 (with spaces) to JSON', needs: ['gpg'], args: () => ['encrypt', '-p', `${K.fp1}, ${K.fp2}`, 'plain.json'], code: 0, encrypted: 'json' },
  { name: 'pgp: encrypt with SOPS_PGP_FP', needs: ['gpg'], args: () => ['encrypt', 'plain.yaml'], env: () => ({ SOPS_PGP_FP: K.fp2 }), code: 0, encrypted: 'yaml' },
  { name: 'pgp: encrypt from .sops.yaml pgp:', needs: ['gpg'], args: () => ['encrypt', 'plain.yaml'], config: pgpRule, code: 0, encrypted: 'yaml' },
  {
    name: 'pgp: encrypt from .sops.yaml key_groups (pgp + age, two groups, shamir 2)',
    needs: ['gpg'],
    args: () => ['encrypt', 'plain.yaml'],
    config: () => `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - pgp: [${K.fp1}]\n        age: [${R1}]\n      - pgp: [${K.fp2}]\n`,
    code: 0,
    encrypted: 'yaml',
  },
  {
    name: 'pgp: .sops.yaml key_groups with shamir_threshold 1 is refused',
    needs: ['gpg'],
    args: () => ['encrypt', 'plain.yaml'],
    config: () => `creation_rules:\n  - shamir_threshold: 1\n    key_groups:\n      - pgp: [${K.fp1}]\n      - age: [${R1}]\n`,
    code: 1,
    stderrHas: () => 'threshold must be at least 2',
  },
  { name: 'pgp: encrypt --pgp with a 16-digit key ID (kept as given)', needs: ['gpg'], args: () => ['encrypt', '--pgp', K.fp2.slice(-16), 'plain.yaml'], code: 0, encrypted: 'yaml' },
  { name: 'pgp: encrypt --pgp and --age: one group, pgp before age', needs: ['gpg'], args: () => ['encrypt', '--age', R2, '--pgp', K.fp1, 'plain.yaml'], code: 0, encrypted: 'yaml', decryptEnv: noAge },
  { name: 'pgp: encrypt -i --pgp', needs: ['gpg'], args: () => ['encrypt', '-i', '--pgp', K.fp1, 'plain.yaml'], code: 0 },
  { name: 'pgp: legacy -e -p FP FILE', needs: ['gpg'], args: () => ['-e', '-p', K.fp1, 'plain.yaml'], code: 0, encrypted: 'yaml' },
  {
    name: 'pgp: encrypt to a fingerprint not in the keyring',
    needs: ['gpg'],
    args: () => ['encrypt', '--pgp', UNKNOWN_FP, 'plain.yaml'],
    code: 1,
    stderrHas: () => `failed to encrypt new data key with master key "${UNKNOWN_FP}"`,
  },
  {
    name: 'pgp: encrypt with SOPS_GPG_EXEC naming no program',
    needs: ['gpg'],
    args: () => ['encrypt', '--pgp', K.fp1, 'plain.yaml'],
    env: () => ({ SOPS_GPG_EXEC: join(root, 'no-such-gpg') }),
    code: 1,
  },
  // ---- PGP: decrypt
  { name: 'pgp: decrypt a PGP-only file', needs: ['gpg'], args: () => ['decrypt', 'pgp.yaml'], code: 0 },
  { name: 'pgp: decrypt JSON, second key of two', needs: ['gpg'], args: () => ['decrypt', 'pgp.json'], code: 0 },
  { name: 'pgp: legacy -d', needs: ['gpg'], args: () => ['-d', 'pgp12.yaml'], code: 0 },
  {
    name: 'pgp: decrypt with a keyring lacking the key',
    needs: ['gpg'],
    args: () => ['decrypt', 'pgp.yaml'],
    env: () => ({ GNUPGHOME: K.emptyGnupg }),
    code: 128,
    stderrHas: () => 'Failed to get the data key required to decrypt the SOPS file.',
  },
  {
    name: 'pgp: decrypt a PGP-only file with gpg not on PATH',
    needs: ['gpg'],
    args: () => ['decrypt', 'pgp.yaml'],
    env: () => ({ PATH: join(root, 'fixtures') }),
    code: 128,
  },
  {
    name: 'pgp: decrypt a PGP-only file with SOPS_GPG_EXEC naming no program',
    needs: ['gpg'],
    args: () => ['decrypt', 'pgp.yaml'],
    env: () => ({ SOPS_GPG_EXEC: join(root, 'no-such-gpg') }),
    code: 128,
  },
  // ---- decryption order
  { name: 'order: default tries age first (gpg not run)', needs: ['gpg'], args: () => ['decrypt', 'mixed.yaml'], gpgLog: 'not run', code: 0 },
  { name: 'order: --decryption-order pgp,age runs gpg first', needs: ['gpg'], args: () => ['decrypt', '--decryption-order', 'pgp,age', 'mixed.yaml'], gpgLog: 'run', code: 0 },
  { name: 'order: SOPS_DECRYPTION_ORDER=pgp', needs: ['gpg'], args: () => ['decrypt', 'mixed.yaml'], env: () => ({ SOPS_DECRYPTION_ORDER: 'pgp' }), gpgLog: 'run', code: 0 },
  {
    name: 'order: pgp first, pgp key missing: falls back to age',
    needs: ['gpg'],
    args: () => ['decrypt', '--decryption-order', 'pgp,age', 'mixed.yaml'],
    env: () => ({ GNUPGHOME: K.emptyGnupg }),
    gpgLog: 'run',
    code: 0,
  },
  // ---- PGP: set, edit, rotate, updatekeys, groups
  { name: 'pgp: set on a PGP-only file', needs: ['gpg'], args: () => ['set', 'pgp.yaml', '["db"]["user"]', '"root"'], code: 0 },
  {
    name: 'pgp: edit a new file with --pgp (EDITOR a script)',
    needs: ['gpg'],
    args: () => ['edit', '--pgp', K.fp1, 'new.yaml'],
    env: () => ({ EDITOR: K.editor }),
    code: 0,
  },
  { name: 'pgp: edit a PGP-only file', needs: ['gpg'], args: () => ['edit', 'pgp.yaml'], env: () => ({ EDITOR: K.editorChange }), code: 0 },
  { name: 'pgp: rotate --add-pgp', needs: ['gpg'], args: () => ['rotate', '--add-pgp', K.fp2, 'age.yaml'], code: 0, encrypted: 'yaml', decryptEnv: noAge },
  { name: 'pgp: rotate -i --rm-pgp', needs: ['gpg'], args: () => ['rotate', '-i', '--rm-pgp', K.fp1, 'mixed.yaml'], code: 0 },
  { name: 'pgp: rotate --rm-pgp of a key not in the file', needs: ['gpg'], args: () => ['rotate', '--rm-pgp', K.fp2, 'mixed.yaml'], code: 0, encrypted: 'yaml' },
  {
    name: 'pgp: updatekeys --yes to the config\'s pgp keys',
    needs: ['gpg'],
    args: () => ['updatekeys', '--yes', 'mixed.yaml'],
    config: pgpRule,
    code: 0,
  },
  { name: 'pgp: groups add --pgp', needs: ['gpg'], args: () => ['groups', 'add', '--file', 'pgp.yaml', '--pgp', K.fp2], code: 0, encrypted: 'yaml' },
  { name: 'pgp: groups add -i --pgp twice', needs: ['gpg'], args: () => ['groups', 'add', '-i', '--file', 'age.yaml', '--pgp', K.fp1, '--pgp', K.fp2], code: 0 },
  {
    name: 'pgp: groups delete below the Shamir threshold is refused',
    needs: ['gpg'],
    args: () => ['groups', 'delete', '--file', 'groups2.yaml', '0'],
    code: 1,
    stderrHas: () => 'Shamir threshold is 2, but we only have 1 key groups',
  },
  { name: 'pgp: groups delete the pgp group, threshold lowered to 1', needs: ['gpg'], args: () => ['groups', 'delete', '--shamir-secret-sharing-threshold', '1', '--file', 'groups2.yaml', '0'], code: 0, encrypted: 'yaml' },
  { name: 'pgp: groups delete -i one of three groups (threshold 2)', needs: ['gpg'], args: () => ['groups', 'delete', '-i', '--file', 'groups3.yaml', '1'], code: 0 },

  // ---- AWS KMS
  { name: 'kms: encrypt --kms ARN', needs: ['kms'], args: () => ['encrypt', '--kms', ARN1, 'plain.yaml'], code: 0, encrypted: 'yaml' },
  { name: 'kms: encrypt -k ARN1,ARN2 with --encryption-context', needs: ['kms'], args: () => ['encrypt', '-k', `${ARN1},${ARN2}`, '--encryption-context', 'b:2,a:1', 'plain.json'], code: 0, encrypted: 'json' },
  { name: 'kms: encrypt with SOPS_KMS_ARN and a role', needs: ['kms'], args: () => ['encrypt', 'plain.yaml'], env: () => ({ SOPS_KMS_ARN: `${ARN1}+${ROLE}` }), code: 0, encrypted: 'yaml' },
  { name: 'kms: encrypt --aws-profile', needs: ['kms'], args: () => ['encrypt', '--kms', ARN2, '--aws-profile', PROFILE, 'plain.yaml'], code: 0, encrypted: 'yaml' },
  { name: 'kms: encrypt from .sops.yaml kms: ARN,ARN+ROLE', needs: ['kms'], args: () => ['encrypt', 'plain.yaml'], config: () => `creation_rules:\n  - kms: ${ARN1},${ARN2}+${ROLE}\n    aws_profile: ${PROFILE}\n`, code: 0, encrypted: 'yaml' },
  {
    name: 'kms: `encrypt` ignores --encryption-context for .sops.yaml kms keys',
    needs: ['kms'],
    args: () => ['encrypt', '--encryption-context', 'k:v', 'plain.yaml'],
    config: () => `creation_rules:\n  - kms: ${ARN1}\n`,
    code: 0,
    encrypted: 'yaml',
    // sops's `encrypt` loads the config with a nil context (getEncryptConfig → loadConfig(c, file, nil)), so
    // config keys get none; only the legacy `-e` passes the flag's context to the config (main.go, isEncryptMode).
  },
  {
    name: 'kms: `edit` of a new file ignores --encryption-context for .sops.yaml kms keys',
    needs: ['kms'],
    args: () => ['edit', '--encryption-context', 'k:v', 'new.yaml'],
    config: () => `creation_rules:\n  - kms: ${ARN1}\n`,
    env: () => ({ EDITOR: K.editor }),
    code: 0,
    // edit's new-file path: getEncryptConfig(c, fileName, inputStore, nil) as in encrypt.
  },
  { name: 'kms: legacy -e applies --encryption-context to .sops.yaml kms keys', needs: ['kms'], args: () => ['-e', '--encryption-context', 'k:v', 'plain.yaml'], config: () => `creation_rules:\n  - kms: ${ARN1}\n`, code: 0, encrypted: 'yaml' },
  { name: 'kms: legacy -e -k ARN', needs: ['kms'], args: () => ['-e', '-k', ARN2, 'plain.yaml'], code: 0, encrypted: 'yaml' },
  {
    name: 'kms: encrypt from .sops.yaml key_groups kms entries (role, context, aws_profile)',
    needs: ['kms'],
    args: () => ['encrypt', 'plain.yaml'],
    config: () => `creation_rules:\n  - key_groups:\n      - kms:\n          - arn: ${ARN1}\n            role: ${ROLE}\n            context:\n              team: ops\n              env: prod\n          - arn: ${ARN2}\n            aws_profile: ${PROFILE}\n        age: [${R1}]\n`,
    code: 0,
    encrypted: 'yaml',
    decryptEnv: noAge,
  },
  {
    name: 'kms: encrypt to a key that does not exist',
    needs: ['kms'],
    args: () => ['encrypt', '--kms', MISSING, 'plain.yaml'],
    code: 1,
    stderrHas: () => /NotFoundException: Key '.*' does not exist/,
  },
  { name: 'kms: encrypt with a malformed ARN', needs: ['kms'], args: () => ['encrypt', '--kms', 'not-an-arn', 'plain.yaml'], code: 1 },
  { name: 'kms: encrypt assuming a role STS refuses', needs: ['kms'], args: () => ['encrypt', '--kms', `${ARN1}+${DENIED_ROLE}`, 'plain.yaml'], code: 1 },
  {
    name: 'kms: malformed --encryption-context (exit 6)',
    needs: ['kms'],
    args: () => ['encrypt', '--kms', ARN1, '--encryption-context', 'a:b:c', 'plain.yaml'],
    code: 6,
    stderrHas: () => 'Invalid KMS encryption context format',
    // sops's kms.ParseKMSContext logs through the AWSKMS logger before the error.
  },
  {
    name: 'kms: rotate --add-kms with a malformed --encryption-context: a warning, the key added without context',
    needs: ['kms'],
    args: () => ['rotate', '--add-kms', ARN2, '--encryption-context', 'nocolon', 'kms.yaml'],
    code: 0,
    encrypted: 'yaml',
    stderrHas: () => 'Encryption context contains a non-string value, context will not be used',
    // sops's rotate (main.go getMasterKeys) passes ParseKMSContext's nil on: no exit 6 there.
  },
  {
    name: 'kms: groups add --kms with a malformed --encryption-context: a warning, the key added without context',
    needs: ['kms'],
    args: () => ['groups', 'add', '--file', 'kms.yaml', '--kms', ARN2, '--encryption-context', 'a:b,'],
    code: 0,
    encrypted: 'yaml',
    stderrHas: () => 'Encryption context contains a non-string value, context will not be used',
  },
  {
    name: 'kms: groups add with two --kms and a malformed --encryption-context: one warning per ARN',
    needs: ['kms'],
    args: () => ['groups', 'add', '--file', 'kms.yaml', '--kms', ARN2, '--kms', ARN1, '--encryption-context', 'x'],
    code: 0,
    encrypted: 'yaml',
    // sops's groups add calls kms.ParseKMSContext once per --kms value (main.go).
  },
  {
    name: 'kms: legacy -e -k with a malformed --encryption-context (exit 6)',
    needs: ['kms'],
    args: () => ['-e', '-k', ARN1, '--encryption-context', 'a:b:c', 'plain.yaml'],
    code: 6,
    // the legacy form parses the context twice (for the config, then for the keys): two warnings.
  },
  { name: 'kms: rotate --rm-kms of a key not in the file', needs: ['kms'], args: () => ['rotate', '--rm-kms', ARN2, 'kms.yaml'], code: 0, encrypted: 'yaml' },
  { name: 'kms: decrypt', needs: ['kms'], args: () => ['decrypt', 'kms.yaml'], code: 0 },
  { name: 'kms: decrypt with an encryption context, --extract', needs: ['kms'], args: () => ['decrypt', '--extract', '["db"]', 'kms12.yaml'], code: 0 },
  { name: 'kms: set', needs: ['kms'], args: () => ['set', 'kms.yaml', '["list"][0]', '2'], code: 0 },
  { name: 'kms: rotate --add-kms with --encryption-context', needs: ['kms'], args: () => ['rotate', '--add-kms', ARN2, '--encryption-context', 'x:y', 'kms.yaml'], code: 0, encrypted: 'yaml' },
  { name: 'kms: rotate -i --rm-kms', needs: ['kms'], args: () => ['rotate', '-i', '--rm-kms', ARN1, 'kmsage.yaml'], code: 0 },
  { name: 'kms: updatekeys --yes to the config\'s kms keys', needs: ['kms'], args: () => ['updatekeys', '-y', 'kms.yaml'], config: () => `creation_rules:\n  - kms: ${ARN2}\n    age: ${R1}\n`, code: 0, decryptEnv: noAge },
  {
    name: 'kms: updatekeys --yes to key_groups kms entries with context and aws_profile',
    needs: ['kms'],
    args: () => ['updatekeys', '--yes', 'kms.yaml'],
    config: () => `creation_rules:\n  - key_groups:\n      - kms:\n          - arn: ${ARN1}\n            context:\n              b: two\n              a: one\n          - arn: ${ARN2}\n            aws_profile: ${PROFILE}\n            role: ${ROLE}\n`,
    code: 0,
  },
  { name: 'kms: groups add --kms (with --encryption-context)', needs: ['kms'], args: () => ['groups', 'add', '--file', 'kms.yaml', '--kms', ARN2, '--encryption-context', 'g:2'], code: 0, encrypted: 'yaml' },
  { name: 'kms: edit a new file with --kms', needs: ['kms'], args: () => ['edit', '--kms', ARN1, 'new.yaml'], env: () => ({ EDITOR: K.editor }), code: 0 },
  { name: 'kms + pgp + age in one group: sops\'s order', needs: ['kms', 'gpg'], args: () => ['encrypt', '--age', R1, '--pgp', K.fp1, '--kms', ARN1, 'plain.yaml'], code: 0, encrypted: 'yaml', decryptEnv: () => ({ ...noAge(), GNUPGHOME: K.emptyGnupg }) },

  // ---- age SSH keys
  { name: 'ssh: encrypt --age "ssh-ed25519 … comment"', needs: ['ssh'], args: () => ['encrypt', '--age', K.sshPub, 'plain.yaml'], code: 0, encrypted: 'yaml', decryptEnv: () => ({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: K.sshKey }) },
  { name: 'ssh: decrypt with SOPS_AGE_SSH_PRIVATE_KEY_FILE', needs: ['ssh'], args: () => ['decrypt', 'ssh.yaml'], env: () => ({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: K.sshKey }), code: 0 },
  { name: 'ssh: decrypt with ~/.ssh/id_ed25519', needs: ['ssh'], args: () => ['decrypt', 'ssh.yaml'], env: () => ({ HOME: K.sshHome, SOPS_AGE_KEY_FILE: undefined }), code: 0 },
  { name: 'ssh: decrypt without the SSH key', needs: ['ssh'], args: () => ['decrypt', 'ssh.yaml'], code: 128 },
  { name: 'ssh: SOPS_AGE_SSH_PRIVATE_KEY_FILE names a missing file', needs: ['ssh'], args: () => ['decrypt', 'ssh.yaml'], env: () => ({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(root, 'no-such-key') }), code: 128 },
  {
    name: 'ssh: updatekeys --yes to an SSH recipient in .sops.yaml',
    needs: ['ssh'],
    args: () => ['updatekeys', '--yes', 'age.yaml'],
    config: () => `creation_rules:\n  - age: ${R1},${K.sshPub}\n`,
    code: 0,
    decryptEnv: onlySsh,
  },
  { name: 'ssh: encrypt to a malformed SSH key', needs: ['ssh'], args: () => ['encrypt', '--age', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBAD', 'plain.yaml'], code: 1 },
  { name: 'ssh: rotate --add-age an SSH recipient', needs: ['ssh'], args: () => ['rotate', '--add-age', K.sshPub, 'age.yaml'], code: 0, encrypted: 'yaml', decryptEnv: onlySsh },

  // ---- age plugins
  {
    name: 'plugin: encrypt to a plugin recipient',
    needs: ['plugin'],
    args: () => ['encrypt', '--age', K.pluginRecipient, 'plain.yaml'],
    env: () => ({ PATH: K.pluginPath }),
    code: 0,
    encrypted: 'yaml',
    decryptEnv: () => ({ SOPS_AGE_KEY_FILE: K.pluginKeys }),
  },
  { name: 'plugin: decrypt with an AGE-PLUGIN identity', needs: ['plugin'], args: () => ['decrypt', 'plugin.yaml'], env: () => ({ PATH: K.pluginPath, SOPS_AGE_KEY_FILE: K.pluginKeys }), code: 0 },
  {
    name: 'plugin: encrypt to a plugin recipient whose plugin is not on PATH',
    needs: ['plugin'],
    args: () => ['encrypt', '--age', K.pluginRecipient, 'plain.yaml'],
    code: 1,
    stderrHas: () => '"sopstest" plugin not found',
  },
  {
    name: 'plugin: encrypt from .sops.yaml with a plugin recipient',
    needs: ['plugin'],
    args: () => ['encrypt', 'plain.yaml'],
    config: () => `creation_rules:\n  - age: ${K.pluginRecipient}\n`,
    env: () => ({ PATH: K.pluginPath }),
    code: 0,
    encrypted: 'yaml',
    decryptEnv: () => ({ SOPS_AGE_KEY_FILE: K.pluginKeys }),
  },
  { name: 'plugin: decrypt with a plugin identity whose plugin is not on PATH', needs: ['plugin'], args: () => ['decrypt', 'plugin.yaml'], env: () => ({ SOPS_AGE_KEY_FILE: K.pluginKeys }), code: 128 },
  {
    name: 'plugin: rotate --add-age a plugin recipient',
    needs: ['plugin'],
    args: () => ['rotate', '--add-age', K.pluginRecipient, 'age.yaml'],
    env: () => ({ PATH: K.pluginPath }),
    code: 0,
    encrypted: 'yaml',
    decryptEnv: () => ({ SOPS_AGE_KEY_FILE: K.pluginKeys }),
  },
];

describe.skipIf(sopsBin === undefined)('CLI with PGP, AWS KMS, SSH and plugin keys: same as Go sops 3.13.3', () => {
  for (const s of SCENARIOS) {
    const missing = s.needs.filter((n) => !have[n]);
    const test = missing.length > 0 ? it.skip : it;
    const known = s.differs;
    // SOPS_TS_SHOW_DIFFS=1 runs the known differences as ordinary comparisons, to see them in full.
    if (known === undefined || process.env.SOPS_TS_SHOW_DIFFS === '1') {
      test(`${s.name}${missing.length > 0 ? ` (needs ${missing.join(', ')})` : ''}`, async () => {
        await same(s);
      });
      continue;
    }
    test(`${s.name} [KNOWN DIFFERENCE: ${known.what}]`, async () => {
      let failure: unknown;
      await same(s).catch((e: unknown) => (failure = e));
      expect(failure, 'now the same as sops: remove `differs` from this scenario').toBeInstanceOf(Error);
      expect((failure as Error).message.startsWith(`${known.at}: `), `failed elsewhere than at "${known.at}": ${(failure as Error).message}`).toBe(true);
    });
  }

  // A deliberate difference, documented in docs/cli.md: not a scenario of `same`.
  it('groups delete of the only key group: sops writes a file with no keys, sops-ts refuses', async () => {
    const [da, db] = [runDir('sops', undefined), runDir('ours', undefined)];
    const args = ['groups', 'delete', '--file', 'age.yaml', '0'];
    const t = await theirs(args, da, baseEnv());
    expect(t.code).toBe(0);
    expect(t.stdout.toString()).not.toMatch(/age:|recipient:/);
    const o = await ours(args, db, baseEnv());
    expect(o.code).toBe(1);
    expect(o.stderr).toBe('refusing to delete the only key group: the file would have no master keys left\n');
    expect(readFileSync(join(db, 'age.yaml')).equals(readFileSync(join(fixtures, 'age.yaml')))).toBe(true);
  });
});
