// Node-side helpers for the tests that run in a real browser
// (test/browser.test.ts): finding Chromium, a loopback HTTP server, esbuild
// bundles for the page, and the vector cases the in-page harness runs.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { BrowserExpectation, BrowserVectorCase } from './browser-harness.js';
import { DEFAULT_SOPS_VERSION, REPO_ROOT, loadManifest, readVector, vectorPath, type Vector } from './sops.js';

/** Debian's `chromium` package, which the project's CI installs (scripts/install-chromium.sh). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Chromium's path for the browser tests: /usr/bin/chromium, or
 * SOPS_TS_CHROMIUM_BIN when set (another Chromium build; no fallback if it
 * does not exist). If it is missing: throws when SOPS_TS_REQUIRE_BROWSER=1
 * (CI, so the suite fails), otherwise prints a visible warning and returns
 * undefined (skip), as `requireSops` does.
 */
export function requireChromium(): string | undefined {
  const path = process.env.SOPS_TS_CHROMIUM_BIN || CHROMIUM_PATH;
  if (existsSync(path)) return path;
  const msg = `Chromium not found at ${path}${process.env.SOPS_TS_CHROMIUM_BIN ? ' (SOPS_TS_CHROMIUM_BIN)' : ''}`;
  if (process.env.SOPS_TS_REQUIRE_BROWSER === '1') {
    throw new Error(`[sops-ts] ${msg} (SOPS_TS_REQUIRE_BROWSER=1). Install it with bash scripts/install-chromium.sh`);
  }
  console.warn(`[sops-ts] browser tests SKIPPED: ${msg}; install it with bash scripts/install-chromium.sh (SOPS_TS_REQUIRE_BROWSER=1 makes this a failure)`);
  return undefined;
}

/** Launch headless Chromium through playwright-core (no sandbox: CI containers run as root). */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}

/** A file the loopback server answers with. */
export interface Route {
  type: string;
  body: string | Uint8Array;
}

/** A loopback HTTP server that answers only the routes it is given, and logs every request it receives. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`: a secure context for the browser, so WebCrypto is available. */
  origin: string;
  routes: Map<string, Route>;
  /** Every request path received, in order. */
  hits: string[];
  close(): Promise<void>;
}

/** Start a server on 127.0.0.1 on a free port. Unknown paths get 404. */
export async function startLoopbackServer(routes: Map<string, Route> = new Map()): Promise<LoopbackServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    hits.push(path);
    const route = routes.get(path);
    if (req.method !== 'GET' || route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': route.type, 'cache-control': 'no-store' }).end(route.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    routes,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Bundle a TypeScript entry for the browser (one ES module, dynamic imports inlined). */
export async function bundleForBrowser(entry: string): Promise<string> {
  const { build } = await import('esbuild');
  const r = await build({
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    logLevel: 'silent',
  });
  return r.outputFiles[0]!.text;
}

function base64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64');
}

/**
 * What decrypting a vector must give, as test/vectors.test.ts decides it:
 * sops's exit code where sops fails, 3.13.3's output where the releases
 * disagree (`crossDecrypt`), else that release's `.dec` bytes.
 */
function expectedDecrypt(v: Vector): BrowserExpectation {
  if (v.expectError?.stage === 'decrypt') return { exitCode: v.expectError.exitCode };
  const x = v.crossDecrypt;
  if (x !== null && x.exitCode !== 0) return { exitCode: x.exitCode };
  if (x !== null && x.identical === false && x.output !== null) return { plaintext: base64(readVector(x.output)) };
  return { plaintext: base64(readVector(v.decrypted!)) };
}

/**
 * The vectors of one release as the in-page harness takes them: every file
 * Go sops encrypted (and decrypted, or refused to). For the newest release
 * each case also carries sops's input, so the page encrypts it itself and
 * must decrypt to what sops's own encrypt → decrypt gave (its `.dec`, or its
 * refusal: a plaintext `-0` breaks sops's MAC).
 */
export function browserVectorCases(release: string): BrowserVectorCase[] {
  const manifest = loadManifest(release);
  const keyFiles = new Map<string, string>();
  const keyFile = (name: string): string => {
    let text = keyFiles.get(name);
    if (text === undefined) keyFiles.set(name, (text = readFileSync(vectorPath(manifest.keys[name]!.file), 'utf8')));
    return text;
  };
  return manifest.vectors
    .filter((v) => v.encrypted !== null && (v.expectError === null || v.expectError.stage === 'decrypt'))
    .map((v) => {
      // With 3 recipients, the last one's key must work too (as test/vectors.test.ts).
      const keyName = v.recipients[v.recipients.length - 1]!;
      const c: BrowserVectorCase = {
        id: v.id,
        format: v.format,
        encrypted: base64(readVector(v.encrypted!)),
        keyFile: keyFile(keyName),
        expect: expectedDecrypt(v),
      };
      if (release === DEFAULT_SOPS_VERSION) {
        c.roundTrip = {
          input: base64(readVector(v.input)),
          recipient: manifest.keys[keyName]!.recipient,
          expect: v.expectError?.stage === 'decrypt' ? { exitCode: v.expectError.exitCode } : { plaintext: base64(readVector(v.decrypted!)) },
        };
      }
      return c;
    });
}
