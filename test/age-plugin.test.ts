// age plugins (src/node/age-plugin.ts) against real plugin binaries built from pinned
// sources by scripts/install-age-plugins.sh (age v1.3.1, the version sops 3.13.3 pins):
//  - age-plugin-pq / -tag / -tagtest / -batchpass: upstream plugins from filippo.io/age;
//  - age-plugin-sopstest: test/fixtures/age-plugin-sopstest, written on age's own plugin
//    framework, which also speaks the interactive commands (msg, request-*, confirm).
// Cross-checked both ways with the Go age CLI and Go sops 3.13.3. Misbehaving plugins are
// small shell scripts in a temp dir. Skipped with a visible message when the binaries are
// absent; under SOPS_TS_REQUIRE_SOPS=1 (CI) that is a failure.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bech32 } from '@scure/base';
import { Decrypter, Encrypter, Stanza, armor, type Identity } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../src/keysource.js';
import type { AgeStoredKey, StoredKey } from '../src/metadata.js';
import {
  AgePluginError,
  AgePluginIdentity,
  AgePluginRecipient,
  agePluginRecipientResolver,
  encodeAgePluginIdentity,
  encodeAgePluginRecipient,
  findAgePlugin,
  isAgePluginIdentity,
  isAgePluginRecipient,
  isValidAgePluginName,
  parseAgePluginIdentity,
  parseAgePluginRecipient,
  type AgePluginOptions,
} from '../src/node/age-plugin.js';
import { decrypt, encrypt } from '../src/sops.js';
import { REPO_ROOT, assertIsGoSops, requireSops, runSops } from './helpers/sops.js';

const PLUGIN_DIR = join(REPO_ROOT, '.tools', 'age-plugins');
const AGE_DIR = join(REPO_ROOT, '.tools', 'age');
const NEEDED = [
  join(PLUGIN_DIR, 'age-plugin-pq'),
  join(PLUGIN_DIR, 'age-plugin-tag'),
  join(PLUGIN_DIR, 'age-plugin-tagtest'),
  join(PLUGIN_DIR, 'age-plugin-batchpass'),
  join(PLUGIN_DIR, 'age-plugin-sopstest'),
  join(AGE_DIR, 'age'),
  join(AGE_DIR, 'age-keygen'),
];

function requirePlugins(): boolean {
  const missing = NEEDED.filter((p) => !existsSync(p));
  if (missing.length === 0) return true;
  const msg = `age plugin binaries not found (${missing.map((p) => p.slice(REPO_ROOT.length + 1)).join(', ')})`;
  if (process.env.SOPS_TS_REQUIRE_SOPS === '1') throw new Error(`[sops-ts] ${msg} (SOPS_TS_REQUIRE_SOPS=1). Build them with bash scripts/install-age-plugins.sh`);
  console.warn(`[sops-ts] age plugin tests SKIPPED: ${msg}; build them with bash scripts/install-age-plugins.sh`);
  return false;
}
const havePlugins = requirePlugins();

const tmp = mkdtempSync(join(tmpdir(), 'sops-ts-age-plugin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
/** The environment plugins run with: only our plugin directory and the system's on PATH. */
const pluginEnv = { PATH: `${PLUGIN_DIR}:/usr/bin:/bin`, HOME: tmp };
const opts = (o: AgePluginOptions = {}): AgePluginOptions => ({ env: pluginEnv, timeout: 10_000, ...o });
const utf8 = (s: string) => new TextEncoder().encode(s);
const concat = (a: Uint8Array, b: Uint8Array) => new Uint8Array([...a, ...b]);

function run(bin: string, args: string[], input?: string | Uint8Array, env: Record<string, string> = pluginEnv): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(bin, args, { input, env, cwd: tmp, timeout: 10_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}
const age = (args: string[], input?: string | Uint8Array) => run(join(AGE_DIR, 'age'), args, input);

/** A raw Bech32 string with any HRP (to build names our encoder refuses). */
const rawBech32 = (hrp: string, data: Uint8Array, upper = false) => {
  const s = bech32.encode(hrp.toLowerCase(), bech32.toWords(data), false);
  return upper ? s.toUpperCase() : s;
};

/** Write an executable shell script `age-plugin-<name>` into a fresh PATH directory. */
function scriptPlugin(name: string, body: string): AgePluginOptions {
  const dir = mkdtempSync(join(tmp, 'bin-'));
  const p = join(dir, `age-plugin-${name}`);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return { env: { PATH: `${dir}:/usr/bin:/bin`, HOME: tmp }, timeout: 5000 };
}

/** A stanza body line (unpadded base64), as the plugin protocol frames it. */
const b64 = (s: string | Uint8Array) => Buffer.from(typeof s === 'string' ? utf8(s) : s).toString('base64').replace(/=+$/, '');

// sops master keys over our plugin objects: how src/keysources/age.ts will use them.
class PluginMasterKeyIdentity implements MasterKeyIdentity {
  constructor(private readonly id: Identity) {}
  async unwrap(key: StoredKey): Promise<Uint8Array | null> {
    if (key.type !== 'age') return null;
    const d = new Decrypter();
    d.addIdentity(this.id);
    return d.decrypt(armor.decode(key.enc));
  }
}
class PluginMasterKeyRecipient implements MasterKeyRecipient {
  readonly type = 'age' as const;
  readonly name: string;
  constructor(private readonly r: AgePluginRecipient) {
    this.name = r.recipient;
  }
  async wrap(dataKey: Uint8Array): Promise<AgeStoredKey> {
    const e = new Encrypter();
    e.addRecipient(this.r);
    return { type: 'age', recipient: this.name, enc: armor.encode(await e.encrypt(dataKey)) };
  }
}

// ------------------------------------------------------------------ encodings (no binaries)

describe('plugin recipient and identity strings', () => {
  it('round-trips recipients and identities, lower/upper case as age encodes them', () => {
    const data = Uint8Array.from({ length: 200 }, (_, i) => i); // longer than BIP 173's 90 chars
    const r = encodeAgePluginRecipient('Ex.am-p_le+1', data);
    expect(r.startsWith('age1ex.am-p_le+11')).toBe(true);
    expect(parseAgePluginRecipient(r)).toEqual({ name: 'ex.am-p_le+1', data });
    const id = encodeAgePluginIdentity('yubikey', data);
    expect(id.startsWith('AGE-PLUGIN-YUBIKEY-1')).toBe(true);
    expect(parseAgePluginIdentity(id)).toEqual({ name: 'yubikey', data });
    // An independent Bech32 implementation (@scure/base, typage's) agrees.
    expect(rawBech32('AGE-PLUGIN-YUBIKEY-', data, true)).toBe(id);
    expect(parseAgePluginIdentity(encodeAgePluginIdentity('tagtest', new Uint8Array(0))).data.length).toBe(0);
  });

  it('refuses names with a path separator or other characters the spec forbids, before any spawn', async () => {
    // A trap: were the name used as given, PATH/age-plugin-../evil would run and leave a marker.
    const dir = mkdtempSync(join(tmp, 'trap-'));
    mkdirSync(join(dir, 'bin', 'age-plugin-..'), { recursive: true });
    const marker = join(dir, 'ran');
    writeFileSync(join(dir, 'bin', 'age-plugin-..', 'evil'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    const env = { PATH: join(dir, 'bin'), HOME: tmp };
    for (const name of ['../evil', 'a/b', 'a\\b', 'x:y', '~']) {
      const r = rawBech32('age1' + name, new Uint8Array([1, 2, 3]));
      const id = rawBech32(`AGE-PLUGIN-${name.toUpperCase()}-`, new Uint8Array([1, 2, 3]), true);
      for (const f of [() => new AgePluginRecipient(r, { env }), () => new AgePluginIdentity(id, { env }), () => parseAgePluginRecipient(r)]) {
        let e: unknown;
        try { f(); } catch (x) { e = x; }
        expect(e).toBeInstanceOf(AgePluginError);
        expect((e as AgePluginError).code).toBe('ERR_INVALID_KEY');
        expect((e as AgePluginError).reason).toBe('invalid-name');
        expect((e as Error).message).toBe(`invalid plugin name: ${JSON.stringify(name.toLowerCase())}`);
      }
      expect(() => findAgePlugin(name, env)).toThrow(/invalid plugin name/);
      expect(isValidAgePluginName(name)).toBe(false);
      expect(() => encodeAgePluginRecipient(name, new Uint8Array(0))).toThrow(/invalid plugin name/);
    }
    expect(existsSync(marker)).toBe(false);
    // Non-ASCII is not even valid Bech32 (HRP characters are printable ASCII).
    expect(() => parseAgePluginRecipient('age1\u00e91qqqqqqqqqq')).toThrow(/invalid recipient encoding: invalid character human-readable part/);
  });

  it('refuses bad encodings with age\'s wording, never quoting an identity', () => {
    const id = encodeAgePluginIdentity('sopstest', utf8('secret-payload'));
    const bad = id.slice(0, -1) + (id.endsWith('Q') ? 'P' : 'Q');
    expect(() => parseAgePluginIdentity(bad)).toThrow('invalid identity encoding: invalid checksum');
    try {
      new AgePluginIdentity(bad);
    } catch (e) {
      expect((e as Error).message).not.toContain(bad.slice(20));
    }
    expect(() => parseAgePluginIdentity(id.toLowerCase())).toThrow('not a plugin identity');
    expect(() => parseAgePluginIdentity('AGE-PLUGIN-X-1' + id.slice(21).toLowerCase())).toThrow('invalid identity encoding: mixed case');
    expect(() => parseAgePluginRecipient(encodeAgePluginRecipient('x', new Uint8Array(4)).toUpperCase())).toThrow('not a plugin recipient');
    expect(() => parseAgePluginRecipient('age1x1qq')).toThrow(/invalid recipient encoding: separator '1' at invalid position/);
  });

  it('routes recipients to plugins as sops 3.13 does (age1pq1 native, age1tag1 to a plugin)', () => {
    expect(isAgePluginRecipient('age1yubikey1qqqqqq')).toBe(true);
    expect(isAgePluginRecipient('age1tag1qqqqqq')).toBe(true);
    expect(isAgePluginRecipient('age1pq1qqqqqq')).toBe(false);
    expect(isAgePluginRecipient('age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p')).toBe(false);
    expect(isAgePluginRecipient('ssh-ed25519 AAAA')).toBe(false);
    expect(isAgePluginIdentity('AGE-PLUGIN-YUBIKEY-1QQ')).toBe(true);
    expect(isAgePluginIdentity('AGE-SECRET-KEY-1QQ')).toBe(false);
  });

  it('looks binaries up in absolute PATH directories only, never the current directory', () => {
    const dir = mkdtempSync(join(tmp, 'lookup-'));
    mkdirSync(join(dir, 'rel'));
    mkdirSync(join(dir, 'abs'));
    writeFileSync(join(dir, 'age-plugin-cwd'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'rel', 'age-plugin-cwd'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'abs', 'age-plugin-noexec'), '#!/bin/sh\n', { mode: 0o644 });
    writeFileSync(join(dir, 'abs', 'age-plugin-cwd'), '#!/bin/sh\n', { mode: 0o755 });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(findAgePlugin('cwd', { PATH: ':.:rel:./rel' })).toBeUndefined();
      expect(findAgePlugin('cwd', { PATH: `rel:${join(dir, 'abs')}` })).toBe(join(dir, 'abs', 'age-plugin-cwd'));
      expect(findAgePlugin('CWD', { PATH: join(dir, 'abs') })).toBe(join(dir, 'abs', 'age-plugin-cwd'));
      expect(findAgePlugin('noexec', { PATH: join(dir, 'abs') })).toBeUndefined();
    } finally {
      process.chdir(cwd);
    }
  });

  it('resolves only the plugin recipients the user named (a file cannot pick a plugin)', () => {
    const mine = encodeAgePluginRecipient('mine', new Uint8Array([1]));
    const resolve = agePluginRecipientResolver([` ${mine} `, 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p']);
    expect(resolve(mine)?.plugin).toBe('mine');
    expect(resolve(encodeAgePluginRecipient('evil', new Uint8Array([1])))).toBeUndefined();
    expect(resolve('age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p')).toBeUndefined();
    expect(() => agePluginRecipientResolver([rawBech32('age1../x', new Uint8Array([1]))])).toThrow(/invalid plugin name/);
  });
});

// ------------------------------------------------------------------ misbehaving plugins (sh scripts)

describe('plugin failures give clear errors, never hang', () => {
  const stanza = new Stanza(['X25519', 'abc'], new Uint8Array(32));

  it('plugin missing on PATH: names the binary', async () => {
    const id = new AgePluginIdentity(encodeAgePluginIdentity('nosuch', new Uint8Array(0)), { env: { PATH: tmp } });
    const e = await id.unwrapFileKey([stanza]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AgePluginError);
    expect((e as AgePluginError).reason).toBe('not-found');
    expect((e as Error).message).toBe('nosuch plugin: couldn\'t start plugin: "nosuch" plugin not found: exec: "age-plugin-nosuch": executable file not found in $PATH');
    const r = new AgePluginRecipient(encodeAgePluginRecipient('nosuch', new Uint8Array(1)), { env: { PATH: tmp } });
    const e2 = await r.wrapFileKey(new Uint8Array(16)).catch((x: unknown) => x);
    expect((e2 as AgePluginError).code).toBe('ERR_ENCRYPT');
    expect((e2 as Error).message).toContain('"age-plugin-nosuch": executable file not found in $PATH');
  });

  it('garbage on stdout: protocol error quoting the line', async () => {
    const o = scriptPlugin('garbage', 'echo "hello, I am not a plugin"');
    const e = await new AgePluginIdentity(encodeAgePluginIdentity('garbage', new Uint8Array(0)), o).unwrapFileKey([stanza]).catch((x: unknown) => x);
    expect((e as AgePluginError).reason).toBe('protocol');
    expect((e as Error).message).toBe('garbage plugin: age-plugin-garbage sent a malformed stanza opening line "hello, I am not a plugin"');
  });

  it('a malformed body line is refused without being quoted', async () => {
    const o = scriptPlugin('badbody', `printf -- '-> file-key 0\\nnot base64!\\n'`);
    const e = await new AgePluginIdentity(encodeAgePluginIdentity('badbody', new Uint8Array(0)), o).unwrapFileKey([stanza]).catch((x: unknown) => x);
    expect((e as Error).message).toBe('badbody plugin: age-plugin-badbody sent a malformed stanza body line in "file-key"');
  });

  it('early exit: exit code reported, stderr passed through', async () => {
    const chunks: string[] = [];
    const o = { ...scriptPlugin('quits', 'echo "age-plugin-quits: no token inserted" >&2\nexit 3'), onStderr: (c: Uint8Array) => chunks.push(Buffer.from(c).toString()) };
    const e = await new AgePluginIdentity(encodeAgePluginIdentity('quits', new Uint8Array(0)), o).unwrapFileKey([stanza]).catch((x: unknown) => x);
    expect((e as AgePluginError).reason).toBe('exited');
    expect((e as Error).message).toBe('quits plugin: age-plugin-quits exited with code 3 before finishing the identity-v1 exchange (its stderr, above, may say why)');
    expect(chunks.join('')).toBe('age-plugin-quits: no token inserted\n');
    const e2 = await new AgePluginRecipient(encodeAgePluginRecipient('quits', new Uint8Array(1)), { ...o, onStderr: () => {} }).wrapFileKey(new Uint8Array(16)).catch((x: unknown) => x);
    expect((e2 as Error).message).toContain('exited with code 3 before finishing the recipient-v1 exchange');
  });

  it('a plugin that hangs is stopped at the timeout', async () => {
    const o = { ...scriptPlugin('hangs', 'exec sleep 30'), timeout: 300 };
    const t0 = Date.now();
    const e = await new AgePluginIdentity(encodeAgePluginIdentity('hangs', new Uint8Array(0)), o).unwrapFileKey([stanza]).catch((x: unknown) => x);
    expect((e as AgePluginError).reason).toBe('timeout');
    expect((e as Error).message).toBe('hangs plugin: age-plugin-hangs did not answer within 300 ms; it was stopped');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('protocol violations: wrong file index, short file key, zero stanzas, repeated labels', async () => {
    const key = b64(new Uint8Array(16));
    const cases: [string, string, string][] = [
      ['identity', `printf -- '-> file-key 1\\n${key}\\n'`, 'malformed file-key stanza: unexpected index'],
      ['identity', `printf -- '-> file-key 0\\nAAAA\\n'`, 'malformed file-key stanza: 3-byte file key, want 16'],
      ['recipient', `printf -- '-> done\\n\\n'`, 'received zero recipient stanzas'],
      ['recipient', `printf -- '-> labels a\\n\\n-> labels b\\n\\n'`, 'repeated labels stanza'],
      ['recipient', `printf -- '-> recipient-stanza 1 X25519\\n\\n'`, 'malformed recipient stanza: unexpected index'],
    ];
    for (const [kind, script, msg] of cases) {
      const o = scriptPlugin('bad', `${script}\nsleep 1`);
      const p = kind === 'identity'
        ? new AgePluginIdentity(encodeAgePluginIdentity('bad', new Uint8Array(0)), o).unwrapFileKey([stanza])
        : new AgePluginRecipient(encodeAgePluginRecipient('bad', new Uint8Array(1)), o).wrapFileKey(new Uint8Array(16));
      const e = await p.catch((x: unknown) => x);
      expect((e as AgePluginError).reason, script).toBe('protocol');
      expect((e as Error).message).toBe(`bad plugin: ${msg}`);
    }
  });

  it('frames phase 1 as age does, answers grease with unsupported, relays the plugin\'s error', async () => {
    const log = join(tmp, 'phase1.log');
    // Read phase 1 up to `done` (and its empty body line), send grease, check the answer.
    const o = scriptPlugin('rec', [
      `: > ${log}`,
      'while IFS= read -r line; do printf "%s\\n" "$line" >> ' + log + '; [ "$line" = "-> done" ] && break; done',
      'IFS= read -r empty',
      `printf -- '-> grease-xyz 1 2\\n${b64('grease body')}\\n'`,
      'IFS= read -r a; IFS= read -r b',
      `if [ "$a" = "-> unsupported" ] && [ -z "$b" ]; then printf -- '-> error internal\\n${b64('the token said no')}\\n'; else printf -- '-> error internal\\n${b64('expected unsupported')}\\n'; fi`,
      'IFS= read -r ok; IFS= read -r empty',
      '[ "$ok" = "-> ok" ] || echo "no ok: $ok" >&2',
    ].join('\n'));
    const identity = encodeAgePluginIdentity('rec', utf8('some key'));
    const body48 = Uint8Array.from({ length: 48 }, (_, i) => i);
    const e = await new AgePluginIdentity(identity, o).unwrapFileKey([new Stanza(['X25519', 'arg1'], body48), new Stanza(['other'], new Uint8Array(0))]).catch((x: unknown) => x);
    expect((e as AgePluginError).reason).toBe('plugin');
    expect((e as Error).message).toBe('rec plugin: the token said no');
    const lines = readFileSync(log, 'utf8').split('\n');
    expect(lines[0]).toBe(`-> add-identity ${identity}`);
    expect(lines[1]).toBe('');
    expect(lines[2]).toMatch(/^-> grease-[0-9a-f]{16}( \d+)*$/); // age's client greases too
    const rest = lines.slice(lines.indexOf('-> recipient-stanza 0 X25519 arg1'));
    // 48 bytes = one full 64-column line, then the empty short line that ends the body
    expect(rest.slice(0, 6)).toEqual(['-> recipient-stanza 0 X25519 arg1', b64(body48), '', '-> recipient-stanza 0 other', '', '-> done']);
  });

  it('confirm without a NO option reaches the UI as undefined; the answer goes back as ok yes', async () => {
    const o = scriptPlugin('conf', [
      'while IFS= read -r line; do [ "$line" = "-> done" ] && break; done',
      'IFS= read -r empty',
      `printf -- '-> confirm ${b64('Yes please')}\\n${b64('insert the token?')}\\n'`,
      'IFS= read -r a; IFS= read -r b',
      `[ "$a" = "-> ok yes" ] && printf -- '-> file-key 0\\n${b64(new Uint8Array(16).fill(7))}\\n'`,
      'IFS= read -r ok; IFS= read -r empty',
      `printf -- '-> done\\n\\n'`,
    ].join('\n'));
    const calls: unknown[] = [];
    const id = new AgePluginIdentity(encodeAgePluginIdentity('conf', new Uint8Array(0)), { ...o, ui: { confirm: (...a) => (calls.push(a), true) } });
    expect(await id.unwrapFileKey([stanza])).toEqual(new Uint8Array(16).fill(7));
    expect(calls).toEqual([['conf', 'insert the token?', 'Yes please', undefined]]);
  });

  it('refuses stanza arguments that would inject commands', async () => {
    const o = scriptPlugin('never', 'exit 0');
    const e = await new AgePluginIdentity(encodeAgePluginIdentity('never', new Uint8Array(0)), o)
      .unwrapFileKey([new Stanza(['X25519', 'a\n-> add-identity AGE-PLUGIN-EVIL-1'], new Uint8Array(0))]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TypeError);
  });
});

// ------------------------------------------------------------------ real plugins

describe.skipIf(!havePlugins)('real plugins, cross-checked with Go age', () => {
  let pqIdentity: string; // AGE-SECRET-KEY-PQ-1…
  let pqRecipient: string; // age1pq1…
  let pqPluginIdentity: string; // AGE-PLUGIN-PQ-1…
  let x25519Identity: string;
  let x25519Recipient: string;
  const TAG_RECIPIENT = 'age1tag1qwe0kafsjrar4txm6heqnhpfuggzr0gvznz7fvygxrlq90u5mq2pysxtw6h'; // age-plugin-tagtest's fixed key
  const tagtestIdentity = encodeAgePluginIdentity('tagtest', new Uint8Array(0));
  const sopstestRecipient = (mode: number) => encodeAgePluginRecipient('sopstest', concat(new Uint8Array([mode]), utf8(x25519Recipient)));
  const sopstestIdentity = (mode: number, secret = x25519Identity) => encodeAgePluginIdentity('sopstest', concat(new Uint8Array([mode]), utf8(secret)));

  beforeAll(() => {
    const keygen = join(AGE_DIR, 'age-keygen');
    const pq = run(keygen, ['-pq']);
    expect(pq.code).toBe(0);
    pqIdentity = pq.stdout.toString().split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-PQ-1'))!;
    pqRecipient = run(keygen, ['-y'], pqIdentity + '\n').stdout.toString().trim();
    pqPluginIdentity = run(join(PLUGIN_DIR, 'age-plugin-pq'), ['-identity'], pqIdentity + '\n').stdout.toString().split('\n').find((l) => l.startsWith('AGE-PLUGIN-'))!;
    const x = run(keygen, []);
    x25519Identity = x.stdout.toString().split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
    x25519Recipient = run(keygen, ['-y'], x25519Identity + '\n').stdout.toString().trim();
    writeFileSync(join(tmp, 'pq.key'), pqIdentity + '\n');
    writeFileSync(join(tmp, 'x.key'), x25519Identity + '\n');
  });

  it('parses the identity age-plugin-pq makes', () => {
    expect(parseAgePluginIdentity(pqPluginIdentity).name).toBe('pq');
    expect(parseAgePluginRecipient(pqRecipient).name).toBe('pq');
  });

  it('age encrypts (native age1pq1) → we decrypt through age-plugin-pq', async () => {
    const enc = age(['-r', pqRecipient], 'post-quantum hello');
    expect(enc.code).toBe(0);
    const d = new Decrypter();
    d.addIdentity(new AgePluginIdentity(pqPluginIdentity, opts()));
    expect(await d.decrypt(new Uint8Array(enc.stdout), 'text')).toBe('post-quantum hello');
  });

  it('we encrypt through age-plugin-pq (recipient-v1, labels) → age decrypts with the native key', async () => {
    const r = new AgePluginRecipient(pqRecipient, opts());
    const fileKey = crypto.getRandomValues(new Uint8Array(16));
    const { stanzas, labels } = await r.wrapFileKeyWithLabels(fileKey);
    expect(labels).toEqual(['postquantum']);
    expect(stanzas.map((s) => s.args[0])).toEqual(['mlkem768x25519']);
    const e = new Encrypter();
    e.addRecipient(r);
    const file = await e.encrypt('to the plugin');
    const dec = age(['-d', '-i', join(tmp, 'pq.key')], file);
    expect(dec.stderr).toBe('');
    expect(dec.stdout.toString()).toBe('to the plugin');
  });

  it('a plugin identity that matches nothing returns null (typage then says no identity matched)', async () => {
    const enc = age(['-r', x25519Recipient], 'x');
    const id = new AgePluginIdentity(pqPluginIdentity, opts());
    const stanzas = [new Stanza(['X25519', 'AAAA'], new Uint8Array(32))];
    expect(await id.unwrapFileKey(stanzas)).toBeNull();
    const d = new Decrypter();
    d.addIdentity(id);
    await expect(d.decrypt(new Uint8Array(enc.stdout))).rejects.toThrow(/no identity matched/);
  });

  it('tag recipients: we wrap via age-plugin-tag → age -j tagtest decrypts; age wraps natively → we unwrap via tagtest', async () => {
    const e = new Encrypter();
    e.addRecipient(new AgePluginRecipient(TAG_RECIPIENT, opts()));
    const file = await e.encrypt('tagged');
    const dec = age(['-d', '-j', 'tagtest'], file);
    expect(dec.stdout.toString()).toBe('tagged');
    const enc = age(['-r', TAG_RECIPIENT], 'from age');
    const d = new Decrypter();
    d.addIdentity(new AgePluginIdentity(tagtestIdentity, opts()));
    expect(await d.decrypt(new Uint8Array(enc.stdout), 'text')).toBe('from age');
  });

  it('an identity used as a recipient (add-identity): batchpass both ways with age', async () => {
    // AGE_PASSPHRASE reaches the plugin through options.env; work factor 10 keeps scrypt fast.
    const env = { ...pluginEnv, AGE_PASSPHRASE: 'correct horse', AGE_PASSPHRASE_WORK_FACTOR: '10' };
    const batchpass = new AgePluginIdentity(encodeAgePluginIdentity('batchpass', new Uint8Array(0)), opts({ env }));
    const e = new Encrypter();
    e.addRecipient(batchpass.recipient());
    const file = await e.encrypt('by passphrase');
    expect(run(join(AGE_DIR, 'age'), ['-d', '-j', 'batchpass'], file, env).stdout.toString()).toBe('by passphrase');
    const enc = run(join(AGE_DIR, 'age'), ['-e', '-j', 'batchpass'], 'the other way', env);
    expect(enc.code, enc.stderr).toBe(0);
    const d = new Decrypter();
    d.addIdentity(batchpass);
    expect(await d.decrypt(new Uint8Array(enc.stdout), 'text')).toBe('the other way');
    // A plugin without identity-as-recipient support says so, through an `error` command.
    const sopstest = new AgePluginIdentity(sopstestIdentity(0), opts());
    await expect(sopstest.recipient().wrapFileKey(new Uint8Array(16))).rejects.toThrow(/^sopstest plugin: identity encodings not supported$/);
  });

  it('age encrypts to a sopstest plugin recipient → we decrypt with the plugin identity', async () => {
    const enc = age(['-r', sopstestRecipient(0)], 'through two plugins');
    expect(enc.code).toBe(0);
    const d = new Decrypter();
    d.addIdentity(new AgePluginIdentity(sopstestIdentity(0), opts()));
    expect(await d.decrypt(new Uint8Array(enc.stdout), 'text')).toBe('through two plugins');
  });

  it('interactive commands go to the UI: msg, request-secret, confirm, request-public', async () => {
    const e = new Encrypter();
    e.addRecipient(x25519Recipient);
    const file = await e.encrypt('needs a PIN');
    const calls: unknown[][] = [];
    const ui = {
      displayMessage: (p: string, m: string) => void calls.push(['msg', p, m]),
      requestValue: (p: string, m: string, secret: boolean) => (calls.push(['request', p, m, secret]), secret ? '1234' : 'anything'),
      confirm: (p: string, m: string, yes: string, no: string | undefined) => (calls.push(['confirm', p, m, yes, no]), true),
    };
    const d = new Decrypter();
    d.addIdentity(new AgePluginIdentity(sopstestIdentity(1), opts({ ui })));
    expect(await d.decrypt(file, 'text')).toBe('needs a PIN');
    expect(calls).toEqual([
      ['msg', 'sopstest', 'sopstest: unwrapping a file key'],
      ['request', 'sopstest', 'sopstest: enter the PIN', true],
      ['confirm', 'sopstest', 'sopstest: use this key?', 'Use', 'Skip'],
      ['request', 'sopstest', 'sopstest: type anything', false],
    ]);

    // The recipient side's request-public.
    const rcalls: unknown[][] = [];
    const r = new AgePluginRecipient(sopstestRecipient(1), opts({ ui: { requestValue: (p, m, s) => (rcalls.push([p, m, s]), 'sops') } }));
    const e2 = new Encrypter();
    e2.addRecipient(r);
    expect(age(['-d', '-i', join(tmp, 'x.key')], await e2.encrypt('labelled')).stdout.toString()).toBe('labelled');
    expect(rcalls).toEqual([['sopstest', 'sopstest: type the label', false]]);
  });

  it('without a UI every request is answered fail, and the plugin\'s error is reported', async () => {
    const e = new Encrypter();
    e.addRecipient(x25519Recipient);
    const file = await e.encrypt('x');
    const attempt = async (o: AgePluginOptions) => {
      const d = new Decrypter();
      d.addIdentity(new AgePluginIdentity(sopstestIdentity(1), opts(o)));
      return d.decrypt(file).then(() => { throw new Error('decrypted without the PIN'); }, (x: unknown) => x as AgePluginError);
    };
    const none = await attempt({});
    expect(none).toBeInstanceOf(AgePluginError);
    expect(none.reason).toBe('plugin');
    expect(none.code).toBe('ERR_NO_DATA_KEY');
    expect(none.message).toBe('sopstest plugin: sopstest: a PIN is required');
    expect((await attempt({ ui: { requestValue: () => { throw new Error('cancelled'); } } })).message).toBe('sopstest plugin: sopstest: a PIN is required');
    expect((await attempt({ ui: { requestValue: () => '0000' } })).message).toBe('sopstest plugin: sopstest: wrong PIN');
    expect((await attempt({ ui: { requestValue: () => '1234' } })).message).toBe('sopstest plugin: sopstest: confirmation is required');
    expect((await attempt({ ui: { requestValue: () => '1234', confirm: () => false } })).message).toBe('sopstest plugin: sopstest: declined by the user');
    const r = new AgePluginRecipient(sopstestRecipient(1), opts());
    await expect(r.wrapFileKey(new Uint8Array(16))).rejects.toThrow(/^sopstest plugin: sopstest: a label is required$/);
  });

  it('a wrong key inside a valid plugin identity: null, not an error', async () => {
    const other = run(join(AGE_DIR, 'age-keygen'), []).stdout.toString().split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
    const e = new Encrypter();
    e.addRecipient(x25519Recipient);
    const file = await e.encrypt('x');
    const id = new AgePluginIdentity(sopstestIdentity(0, other), opts());
    const d = new Decrypter();
    d.addIdentity(id);
    await expect(d.decrypt(file)).rejects.toThrow(/no identity matched/);
  });
});

// ------------------------------------------------------------------ Go sops 3.13.3

describe.skipIf(!havePlugins)('Go sops 3.13.3 with plugin keys, both ways', () => {
  const bin = havePlugins ? requireSops() : undefined;
  let x25519Identity: string;
  let x25519Recipient: string;
  const plain = 'user: alice\npassword: hunter2\n';
  const sopsEnv = (extra: Record<string, string> = {}) => ({ PATH: `${PLUGIN_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`, ...extra });
  const sopstestRecipient = () => encodeAgePluginRecipient('sopstest', concat(new Uint8Array([0]), utf8(x25519Recipient)));
  const sopstestIdentity = () => encodeAgePluginIdentity('sopstest', concat(new Uint8Array([0]), utf8(x25519Identity)));

  beforeAll(() => {
    if (bin) assertIsGoSops(bin);
    const x = run(join(AGE_DIR, 'age-keygen'), []);
    x25519Identity = x.stdout.toString().split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
    x25519Recipient = run(join(AGE_DIR, 'age-keygen'), ['-y'], x25519Identity + '\n').stdout.toString().trim();
  });

  it.skipIf(!bin)('sops encrypts to a plugin recipient → we decrypt with the plugin identity', async () => {
    writeFileSync(join(tmp, 'plain.yaml'), plain);
    const r = runSops(['encrypt', '--age', sopstestRecipient(), 'plain.yaml'], { cwd: tmp, env: sopsEnv() });
    expect(r.code, r.stderr).toBe(0);
    // sops's terminal UI logs the plugin's msg through its logger, which does not print it.
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toContain(`recipient: ${sopstestRecipient()}`);
    const out = await decrypt(new Uint8Array(r.stdout), { format: 'yaml', identities: [new PluginMasterKeyIdentity(new AgePluginIdentity(sopstestIdentity(), opts()))] });
    expect(out).toBe(plain);
  });

  it.skipIf(!bin)('sops routes age1tag1 to age-plugin-tag → we decrypt through age-plugin-tagtest', async () => {
    const tag = 'age1tag1qwe0kafsjrar4txm6heqnhpfuggzr0gvznz7fvygxrlq90u5mq2pysxtw6h';
    writeFileSync(join(tmp, 'plain.yaml'), plain);
    const r = runSops(['encrypt', '--age', tag, 'plain.yaml'], { cwd: tmp, env: sopsEnv() });
    expect(r.code, r.stderr).toBe(0);
    const out = await decrypt(new Uint8Array(r.stdout), { format: 'yaml', identities: [new PluginMasterKeyIdentity(new AgePluginIdentity(encodeAgePluginIdentity('tagtest', new Uint8Array(0)), opts()))] });
    expect(out).toBe(plain);
    // Without the plugin on PATH, sops cannot encrypt to it: it is a plugin recipient for sops.
    const r2 = runSops(['encrypt', '--age', tag, 'plain.yaml'], { cwd: tmp, env: { PATH: '/usr/bin:/bin' } });
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain('"tag" plugin not found');
  });

  it.skipIf(!bin)('a missing plugin: our message is the one sops prints', () => {
    writeFileSync(join(tmp, 'plain.yaml'), plain);
    const enc = runSops(['encrypt', '--age', x25519Recipient, 'plain.yaml'], { cwd: tmp });
    writeFileSync(join(tmp, 'x.enc.yaml'), enc.stdout);
    const identity = encodeAgePluginIdentity('nosuch', new Uint8Array(0));
    writeFileSync(join(tmp, 'nosuch.key'), identity + '\n');
    const r = runSops(['decrypt', 'x.enc.yaml'], { cwd: tmp, env: { SOPS_AGE_KEY_FILE: join(tmp, 'nosuch.key') } });
    expect(r.code).toBe(128);
    const unwrapped = r.stderr.replace(/\n\s+\| /g, ' ');
    const ours = new AgePluginIdentity(identity, { env: { PATH: '/usr/bin:/bin' } }).unwrapFileKey([new Stanza(['X25519', 'x'], new Uint8Array(32))]);
    return ours.then(() => expect.unreachable(), (e: Error) => {
      expect(unwrapped).toContain(`failed to create reader for decrypting sops data key with age: ${e.message}. Did not find keys`);
    });
  });

  it.skipIf(!bin)('an identity with a forbidden plugin name: sops says what we say', () => {
    writeFileSync(join(tmp, 'plain.yaml'), plain);
    writeFileSync(join(tmp, 'x.enc.yaml'), runSops(['encrypt', '--age', x25519Recipient, 'plain.yaml'], { cwd: tmp }).stdout);
    for (const bad of [rawBech32('AGE-PLUGIN-X/Y-', new Uint8Array([1, 2]), true), 'AGE-PLUGIN-X-1QQQQQQ']) {
      writeFileSync(join(tmp, 'bad.key'), bad + '\n');
      const r = runSops(['decrypt', 'x.enc.yaml'], { cwd: tmp, env: { SOPS_AGE_KEY_FILE: join(tmp, 'bad.key') } });
      let ours = '';
      try { parseAgePluginIdentity(bad); } catch (e) { ours = (e as Error).message; }
      expect(ours).not.toBe('');
      expect(r.stderr.replace(/\n\s+\| /g, ' ')).toContain(`failed to parse 'SOPS_AGE_KEY_FILE' age identities: ${ours}. Did not find keys`);
    }
  });

  it.skipIf(!bin)('we encrypt to a plugin recipient → sops decrypts with the plugin identity (MAC verified)', async () => {
    const enc = await encrypt(plain, { format: 'yaml', recipients: [new PluginMasterKeyRecipient(new AgePluginRecipient(sopstestRecipient(), opts()))] });
    writeFileSync(join(tmp, 'ours.enc.yaml'), enc);
    writeFileSync(join(tmp, 'plugin.key'), `# sopstest plugin identity\n${sopstestIdentity()}\n`);
    const r = runSops(['decrypt', 'ours.enc.yaml'], { cwd: tmp, env: sopsEnv({ SOPS_AGE_KEY_FILE: join(tmp, 'plugin.key') }) });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe(plain);
    // And the other way round: sops with the native key of the same X25519 pair.
    const r2 = runSops(['decrypt', 'ours.enc.yaml'], { cwd: tmp, env: { SOPS_AGE_KEY: x25519Identity } });
    expect(r2.stdout.toString()).toBe(plain);
  });
});
