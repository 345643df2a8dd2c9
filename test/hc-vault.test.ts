// Vault transit master keys against a real server (OpenBao 2.7.2 in dev mode,
// installed by scripts/install-vault.sh), cross-checked with Go sops 3.13.3
// both ways: sops encrypts → sops-ts decrypts, sops-ts encrypts → sops decrypts
// (MAC verified), and the error texts of both compared for bad URIs, a wrong
// or missing token, a missing key, the allowlist, an unreachable server.
//
// One `bao server -dev` per run, on a free loopback port, HOME in a temp dir
// (the dev server writes its root token to ~/.vault-token). Transit is mounted
// at `transit/`, at `sops/nested/` (an engine path with a slash) and in the
// namespace `ns1`, keys created through the HTTP API.
//
// Skipped with a visible message when Go sops or the server binary is absent;
// under SOPS_TS_REQUIRE_SOPS=1 a missing one fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoDataKeyError } from '../src/errors.js';
import {
  goPathJoin,
  parseVaultTransitUri,
  parseVaultTransitUris,
  VaultTransitIdentity,
  VaultTransitRecipient,
  vaultTransitKeyString,
} from '../src/keysources/hc-vault.js';
import type { VaultStoredKey } from '../src/metadata.js';
import { vaultTokenProvider, vaultTransitIdentity, vaultTransitOptions, vaultTransitRecipients } from '../src/node/hc-vault.js';
import { decrypt, encrypt } from '../src/sops.js';
import { REPO_ROOT, assertIsGoSops, findSops, runSops } from './helpers/sops.js';
import { storedKeys } from './helpers/key-sources.js';

const PLAIN = 'db:\n    user: admin\n    password: hunter2\nlist:\n    - 1\n    - two\n';

// ------------------------------------------------------------ prerequisites

const sopsBin = findSops();
/** The server binary: SOPS_TS_VAULT_BIN, else .tools/vault/bao (OpenBao) or .tools/vault/vault. */
function findVault(): string | undefined {
  const env = process.env.SOPS_TS_VAULT_BIN;
  if (env) return existsSync(resolve(REPO_ROOT, env)) ? resolve(REPO_ROOT, env) : undefined;
  for (const name of ['bao', 'vault']) {
    const p = join(REPO_ROOT, '.tools', 'vault', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}
const vaultBin = findVault();
const missing = [
  ...(sopsBin ? [] : ['Go sops 3.13.3 (npm run sops:install)']),
  ...(vaultBin ? [] : ['an OpenBao/Vault server binary at .tools/vault/ (bash scripts/install-vault.sh)']),
];
if (missing.length > 0) {
  const msg = `Vault transit live tests need ${missing.join(', ')}`;
  if (process.env.SOPS_TS_REQUIRE_SOPS === '1') throw new Error(`[sops-ts] ${msg} (SOPS_TS_REQUIRE_SOPS=1)`);
  console.warn(`[sops-ts] Vault transit live tests SKIPPED: ${msg}`);
}
const live = missing.length === 0;

const ROOT_TOKEN = `sops-ts-${randomBytes(8).toString('hex')}`;
let dir: string;
let home: string;
let server: ChildProcess | undefined;
let port: number;
let addr: string;
/** A loopback port nothing listens on (not 1: fetch refuses the "bad ports"). */
let closedPort: number;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(p));
    });
  });
}

/** One call to the server's HTTP API as root (setup only). */
async function api(method: string, path: string, body?: unknown, namespace?: string): Promise<Response> {
  const headers: Record<string, string> = { 'X-Vault-Token': ROOT_TOKEN };
  if (namespace) headers['X-Vault-Namespace'] = namespace;
  const res = await fetch(`${addr}/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

/** Go sops in a clean environment (PATH, an empty HOME) plus `env`. */
function sops(args: string[], env: Record<string, string> = {}) {
  const r = runSops(args, { cwd: dir, env });
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

function file(name: string, data: string): string {
  writeFileSync(join(dir, name), data);
  return name;
}

/** Strip what differs between two encryptions (ciphertexts, times) to compare the files' shape. */
function shape(text: string): string {
  return text.replace(/ENC\[AES256_GCM,[^\]]*\]/g, 'ENC[…]').replace(/(enc|created_at|lastmodified): .*/g, '$1: …');
}

const vaultEntries = (text: string) => storedKeys<VaultStoredKey>(text);

/** sops's per-key report with its word wrap undone (for matching, not comparing). */
function unwrapReport(stderr: string): string {
  return stderr.replace(/\n {6}\| ?/g, ' ');
}

/** Our error text for `f`, or a failure if it succeeds. */
async function errorOf(f: () => Promise<unknown>): Promise<Error> {
  try {
    await f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

const TOKEN_ENV = () => ({ VAULT_TOKEN: ROOT_TOKEN });
const uri = (engine = 'transit', key = 'dev') => `${addr}/v1/${engine}/keys/${key}`;

beforeAll(async () => {
  if (!live) return;
  assertIsGoSops(sopsBin!);
  dir = mkdtempSync(join(tmpdir(), 'sops-ts-vault-'));
  home = join(dir, 'home');
  mkdirSync(home);
  port = await freePort();
  addr = `http://127.0.0.1:${port}`;
  closedPort = await freePort();
  const serverHome = join(dir, 'server-home');
  mkdirSync(serverHome);
  server = spawn(vaultBin!, ['server', '-dev', `-dev-root-token-id=${ROOT_TOKEN}`, `-dev-listen-address=127.0.0.1:${port}`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: serverHome },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serverErr = '';
  server.stderr!.on('data', (d: Buffer) => (serverErr += d.toString('utf8')));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${addr}/v1/sys/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`the Vault dev server did not start: ${serverErr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await api('POST', 'sys/mounts/transit', { type: 'transit' });
  await api('POST', 'sys/mounts/sops/nested', { type: 'transit' });
  await api('POST', 'transit/keys/dev');
  await api('POST', 'transit/keys/other');
  await api('POST', 'sops/nested/keys/k2');
  await api('POST', 'sys/namespaces/ns1');
  await api('POST', 'sys/mounts/transit', { type: 'transit' }, 'ns1');
  await api('POST', 'transit/keys/nsk', undefined, 'ns1');
});

afterAll(() => {
  if (server && server.exitCode === null) server.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------ pure parsing (no server)

describe('Vault transit key URIs (sops NewMasterKeyFromURI)', () => {
  it('splits address, engine path and key name', () => {
    expect(parseVaultTransitUri('https://vault.example.org:8200/v1/transit/keys/dev')).toEqual({
      vaultAddress: 'https://vault.example.org:8200', enginePath: 'transit', keyName: 'dev',
    });
    expect(parseVaultTransitUri('http://h/v1/a/b/c/keys/k/')).toEqual({ vaultAddress: 'http://h', enginePath: 'a/b/c', keyName: 'k' });
    expect(vaultTransitKeyString(parseVaultTransitUri('https://v:1/v1/sops/nested/keys/k2'))).toBe('https://v:1/v1/sops/nested/keys/k2');
    expect(parseVaultTransitUris('')).toEqual([]);
    expect(parseVaultTransitUris('http://a/v1/t/keys/x,,http://b/v1/t/keys/y').map((k) => k.vaultAddress)).toEqual(['http://a', 'http://b']);
  });

  it('cleans the engine path as Go path.Join does', () => {
    expect(goPathJoin('a/./b/../c', 'encrypt', 'k')).toBe('a/c/encrypt/k');
    expect(goPathJoin('', '/v1/x')).toBe('/v1/x');
    expect(goPathJoin('/p/', '/v1/../v1/x')).toBe('/p/v1/x');
  });
});

// ------------------------------------------------------------ against the server and Go sops

describe.skipIf(!live)('Vault transit against OpenBao, cross-checked with Go sops 3.13.3', () => {
  it('parses key URIs as sops does: same entries, same errors', async () => {
    file('p.yaml', PLAIN);
    const good = [uri(), `${addr}/v1/transit/anything/dev/`, uri('sops/nested', 'k2')];
    for (const u of good) {
      const r = sops(['encrypt', '--hc-vault-transit', u, 'p.yaml'], TOKEN_ENV());
      expect(r.code, r.stderr).toBe(0);
      const [theirs] = await vaultEntries(r.stdout);
      const ours = parseVaultTransitUri(u);
      expect({ vaultAddress: theirs!.vaultAddress, enginePath: theirs!.enginePath, keyName: theirs!.keyName }).toEqual(ours);
    }
    const bad = [
      `127.0.0.1:${port}/v1/transit/keys/dev`,
      'localhost/v1/transit/keys/dev',
      `${addr}/pre/v1/transit/keys/dev`,
      `${addr}/v1/transit/dev`,
      `${addr}//v1//transit/keys/dev`,
      'http://h:abc/v1/transit/keys/dev',
      'http://h/v1/transit/keys/%zz',
      'http://h{/v1/transit/keys/dev',
    ];
    for (const u of bad) {
      const r = sops(['encrypt', '--hc-vault-transit', u, 'p.yaml'], TOKEN_ENV());
      expect(r.code).not.toBe(0);
      expect((() => { try { parseVaultTransitUri(u); return 'no error'; } catch (e) { return (e as Error).message; } })(), u).toBe(r.stderr.trim());
    }
  });

  it('keeps a query in the address and the key name, and escapes it in the request, as sops', async () => {
    // sops: address `http://…?x=1`, key `dev?x=1`, request path `…/encrypt/dev%3Fx=1` (404).
    for (const u of [`${uri()}?x=1`, `${addr}/v1/a/./b/../c/keys/dev`]) {
      const r = sops(['encrypt', '--hc-vault-transit', u, 'p.yaml'], TOKEN_ENV());
      expect(r.code).toBe(1);
      const e = await errorOf(() => encrypt(PLAIN, { format: 'yaml', recipients: vaultTransitRecipients(u, TOKEN_ENV()) }));
      expect(e.message).toBe(r.stderr.trim());
    }
  });

  it('sops encrypts → sops-ts decrypts (transit/, sops/nested/, a namespace, a token file)', async () => {
    file('p.yaml', PLAIN);
    const cases: { u: string; env: Record<string, string> }[] = [
      { u: uri(), env: TOKEN_ENV() },
      { u: uri('sops/nested', 'k2'), env: TOKEN_ENV() },
      { u: uri('transit', 'nsk'), env: { ...TOKEN_ENV(), VAULT_NAMESPACE: 'ns1' } },
      { u: `${uri()},${uri('transit', 'other')}`, env: TOKEN_ENV() },
    ];
    for (const { u, env } of cases) {
      const r = sops(['encrypt', '--hc-vault-transit', u, 'p.yaml'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/enc: vault:v1:/);
      expect(await decrypt(r.stdout, { format: 'yaml', identities: [vaultTransitIdentity(env)] })).toBe(PLAIN);
    }
    // The token from $HOME/.vault-token (trimmed), when VAULT_TOKEN is unset or empty.
    writeFileSync(join(home, '.vault-token'), `  ${ROOT_TOKEN}\n`);
    try {
      const r = sops(['encrypt', '--hc-vault-transit', uri(), 'p.yaml'], { HOME: home });
      expect(r.code, r.stderr).toBe(0);
      expect(await decrypt(r.stdout, { format: 'yaml', identities: [vaultTransitIdentity({ HOME: home, VAULT_TOKEN: '' })] })).toBe(PLAIN);
    } finally {
      rmSync(join(home, '.vault-token'));
    }
  });

  it('sops-ts encrypts → sops decrypts with the MAC verified; the metadata has sops\'s shape', async () => {
    const cases: { u: string; env: Record<string, string> }[] = [
      { u: uri(), env: TOKEN_ENV() },
      { u: uri('sops/nested', 'k2'), env: TOKEN_ENV() },
      { u: uri('transit', 'nsk'), env: { ...TOKEN_ENV(), VAULT_NAMESPACE: 'ns1' } },
    ];
    file('p.yaml', PLAIN);
    for (const { u, env } of cases) {
      const ours = await encrypt(PLAIN, { format: 'yaml', recipients: vaultTransitRecipients(u, env) });
      const r = sops(['decrypt', '--input-type', 'yaml', '--output-type', 'yaml', file('ours.yaml', ours)], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(PLAIN);
      const theirs = sops(['encrypt', '--hc-vault-transit', u, 'p.yaml'], env);
      expect(theirs.code, theirs.stderr).toBe(0);
      expect(shape(ours)).toBe(shape(theirs.stdout));
      const [a] = await vaultEntries(ours);
      const [b] = await vaultEntries(theirs.stdout);
      expect({ ...a, enc: '', createdAt: '' }).toEqual({ ...b, enc: '', createdAt: '' });
      expect(a!.enc).toMatch(/^vault:v1:[A-Za-z0-9+/]+=*$/);
    }
    // A tampered value: sops refuses our file (the MAC is checked).
    const ours = await encrypt(PLAIN, { format: 'yaml', recipients: vaultTransitRecipients(uri(), TOKEN_ENV()) });
    const tampered = ours.replace(/user: ENC\[AES256_GCM,data:[^,]*/, 'user: ENC[AES256_GCM,data:AAAAA');
    expect(sops(['decrypt', file('tampered.yaml', tampered)], TOKEN_ENV()).code).not.toBe(0);
  });

  it('sends requests to VAULT_AGENT_ADDR whatever the key\'s address, and ignores VAULT_ADDR, as sops', async () => {
    const env = { ...TOKEN_ENV(), VAULT_AGENT_ADDR: addr, VAULT_ADDR: `http://127.0.0.1:${closedPort}` };
    const dead = `http://127.0.0.1:${closedPort}/v1/transit/keys/dev`;
    const theirs = sops(['encrypt', '--hc-vault-transit', dead, 'p.yaml'], env);
    expect(theirs.code, theirs.stderr).toBe(0);
    expect((await vaultEntries(theirs.stdout))[0]!.vaultAddress).toBe(`http://127.0.0.1:${closedPort}`);
    expect(await decrypt(theirs.stdout, { format: 'yaml', identities: [vaultTransitIdentity(env)] })).toBe(PLAIN);
    const ours = await encrypt(PLAIN, { format: 'yaml', recipients: vaultTransitRecipients(dead, env) });
    expect(sops(['decrypt', file('agent.yaml', ours)], env).stdout).toBe(PLAIN);
    // VAULT_ADDR alone does not redirect anything.
    const other = { ...TOKEN_ENV(), VAULT_ADDR: `http://127.0.0.1:${closedPort}` };
    const plain = sops(['encrypt', '--hc-vault-transit', uri(), 'p.yaml'], other);
    expect(plain.code, plain.stderr).toBe(0);
    expect(await decrypt(plain.stdout, { format: 'yaml', identities: [vaultTransitIdentity(other)] })).toBe(PLAIN);
  });

  it('reports a wrong token, no token, a missing key and a missing namespace with sops\'s text (decrypt)', async () => {
    file('p.yaml', PLAIN);
    const enc = sops(['encrypt', '--hc-vault-transit', uri(), 'p.yaml'], TOKEN_ENV());
    expect(enc.code, enc.stderr).toBe(0);
    const noKey = enc.stdout.replace('key_name: dev', 'key_name: nokey');
    const cases: { text: string; env: Record<string, string>; expect: RegExp }[] = [
      { text: enc.stdout, env: { VAULT_TOKEN: 'wrong' }, expect: /Code: 403\. Errors:[\s|]*\* permission denied/ },
      { text: enc.stdout, env: {}, expect: /permission denied/ },
      { text: noKey, env: TOKEN_ENV(), expect: /Code: 400\. Errors:[\s|]*\* encryption key not found/ },
      { text: enc.stdout, env: { ...TOKEN_ENV(), VAULT_NAMESPACE: 'ns1' }, expect: /Code: 400/ },
      { text: enc.stdout, env: { ...TOKEN_ENV(), SOPS_HC_VAULT_ALLOWLIST: 'none' }, expect: /Allowlist does not allow http:\/\/127\.0\.0\.1:\d+$/m },
      { text: enc.stdout, env: { ...TOKEN_ENV(), SOPS_HC_VAULT_ALLOWLIST: `${addr}0, x` }, expect: /Allowlist does not allow/ },
      { text: enc.stdout, env: { ...TOKEN_ENV(), SOPS_HC_VAULT_ALLOWLIST: 'a,,b' }, expect: /SOPS_HC_VAULT_ALLOWLIST's entry 2 is empty/ },
      { text: enc.stdout, env: { ...TOKEN_ENV(), VAULT_MAX_RETRIES: 'x' }, expect: /cannot create Vault client: error encountered setting up default configuration: strconv\.ParseUint: parsing "x": invalid syntax/ },
      { text: enc.stdout, env: { ...TOKEN_ENV(), VAULT_HEADERS: '{"X-Vault-Foo":"1"}' }, expect: /Header starting by 'X-Vault-' are for internal usage only/ },
    ];
    for (const c of cases) {
      const r = sops(['decrypt', file('in.yaml', c.text)], c.env);
      expect(r.code).toBe(128);
      expect(unwrapReport(r.stderr)).toMatch(c.expect);
      const e = await errorOf(() => decrypt(c.text, { format: 'yaml', identities: [vaultTransitIdentity({ HOME: home, ...c.env })] }));
      expect(e).toBeInstanceOf(NoDataKeyError);
      expect(e.message).toBe(r.stderr.trim());
    }
    // An allowlist that names the server lets it through (trimmed entries, `/` appended).
    const ok = { ...TOKEN_ENV(), SOPS_HC_VAULT_ALLOWLIST: ` ${addr}/ , x` };
    expect(sops(['decrypt', file('in.yaml', enc.stdout)], ok).stdout).toBe(PLAIN);
    expect(await decrypt(enc.stdout, { format: 'yaml', identities: [vaultTransitIdentity(ok)] })).toBe(PLAIN);
  });

  it('reports a wrong token, an unreachable server and an unreadable token file with sops\'s text (encrypt)', async () => {
    file('p.yaml', PLAIN);
    mkdirSync(join(dir, 'dirhome', '.vault-token'), { recursive: true });
    const cases: { u: string; env: Record<string, string> }[] = [
      { u: uri(), env: { VAULT_TOKEN: 'wrong' } },
      { u: uri('missing/engine', 'dev'), env: TOKEN_ENV() },
      { u: `http://127.0.0.1:${closedPort}/v1/transit/keys/dev`, env: { ...TOKEN_ENV(), VAULT_MAX_RETRIES: '0' } },
      { u: uri(), env: { HOME: join(dir, 'dirhome') } },
      { u: uri(), env: { VAULT_TOKEN: 'a\tb' } },
    ];
    for (const c of cases) {
      const r = sops(['encrypt', '--hc-vault-transit', c.u, 'p.yaml'], c.env);
      expect(r.code, c.u).toBe(1);
      const e = await errorOf(() => encrypt(PLAIN, { format: 'yaml', recipients: vaultTransitRecipients(c.u, { HOME: home, ...c.env }) }));
      expect(e.message).toBe(r.stderr.trim());
    }
  });

  it('retries a refused connection as the Go client does (VAULT_MAX_RETRIES), then fails', async () => {
    const t0 = Date.now();
    const e = await errorOf(() =>
      new VaultTransitRecipient(`http://127.0.0.1:${closedPort}/v1/transit/keys/dev`, { token: 't', maxRetries: 2, retryWaitMs: [50, 60] }).wrap(new Uint8Array(32)),
    );
    expect(e.message).toBe(
      `failed to encrypt sops data key to Vault transit backend 'transit/encrypt/dev': Put "http://127.0.0.1:${closedPort}/v1/transit/encrypt/dev": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50 + 100); // 1×wait + 2×wait
  });

  it('retries 503 answers and follows one 307 redirect, as the Go client does', async () => {
    const calls: string[] = [];
    // A front that answers 503 twice, then redirects once to the real server.
    const front: typeof fetch = async (input, init) => {
      calls.push(String(input));
      if (calls.length <= 2) return new Response('{"errors":["busy"]}', { status: 503 });
      if (calls.length === 3) return new Response(null, { status: 307, headers: { Location: String(input).replace('/v1/', '/v1/./') } });
      return fetch(input, init);
    };
    const stored = await new VaultTransitRecipient(uri(), { token: ROOT_TOKEN, fetch: front, retryWaitMs: [10, 20] }).wrap(new Uint8Array(32).fill(7));
    expect(calls).toHaveLength(4);
    expect(calls[3]).toBe(`${addr}/v1/transit/encrypt/dev`);
    const id = new VaultTransitIdentity({ token: ROOT_TOKEN });
    expect(Array.from((await id.unwrap(stored))!)).toEqual(Array(32).fill(7));
  });

  it('re-wraps for a stored entry keeping created_at; other kinds are not its own', async () => {
    const token = vaultTokenProvider(TOKEN_ENV());
    expect(token()).toBe(ROOT_TOKEN);
    const r = new VaultTransitRecipient(uri(), { token, createdAt: '2020-01-02T03:04:05Z' });
    const dataKey = randomBytes(32);
    const stored = await r.wrap(dataKey);
    expect(stored.createdAt).toBe('2020-01-02T03:04:05Z');
    const again = await VaultTransitRecipient.fromStoredKey(stored, { token }).wrap(dataKey);
    expect(again.createdAt).toBe('2020-01-02T03:04:05Z');
    const id = new VaultTransitIdentity({ ...vaultTransitOptions(TOKEN_ENV()) });
    expect(Buffer.from((await id.unwrap(again))!)).toEqual(dataKey);
    expect(await id.unwrap({ type: 'age', recipient: 'age1x', enc: '' })).toBeNull();
    // An injected fetch sees sops's request: PUT, X-Vault-Request, the token, base64 plaintext.
    const seen: { url: string; init: RequestInit }[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push({ url: String(input), init: init! });
      return fetch(input, init);
    };
    await new VaultTransitRecipient(uri(), { token: ROOT_TOKEN, fetch: spy, namespace: '' }).wrap(dataKey);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe(`${addr}/v1/transit/encrypt/dev`);
    expect(seen[0]!.init.method).toBe('PUT');
    expect(seen[0]!.init.headers).toMatchObject({ 'X-Vault-Request': 'true', 'X-Vault-Token': ROOT_TOKEN });
    expect(JSON.parse(String(seen[0]!.init.body))).toEqual({ plaintext: dataKey.toString('base64') });
  });
});
