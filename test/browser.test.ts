// sops-ts in a real browser: Debian's Chromium driven by playwright-core
// (headless, no sandbox), pages served by a loopback HTTP server started here.
//
//  1. The vector suite inside the page: test/helpers/browser-harness.ts,
//     bundled by esbuild for browsers, decrypts every file Go sops wrote
//     (the newest release and two older ones) to sops's bytes with the MAC
//     verified, checks that a tampered copy fails with the MAC error, and
//     (newest release) encrypts sops's input and decrypts it back to what
//     sops's own encrypt → decrypt gave. It runs twice: WebCrypto AES-GCM, and
//     the pure-JS fallback forced; counting the page's WebCrypto AES-GCM calls
//     proves which path ran.
//  2. The example web page (examples/web, built by scripts/build-web.mjs):
//     decrypt, the keyless view, a wrong key and a tampered file, and that it
//     makes no network request but loading itself, and cannot make one.
//     A screenshot is kept as test-artifacts/web-page.png.
//
// Without /usr/bin/chromium these tests skip with a visible message;
// SOPS_TS_REQUIRE_BROWSER=1 (CI) makes that a failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, parseAgeIdentities } from '../src/index.js';
import type { AesGcmPath, BrowserVectorReport, SopsTsHarness } from './helpers/browser-harness.js';
import { browserVectorCases, bundleForBrowser, launchChromium, requireChromium, startLoopbackServer, type LoopbackServer } from './helpers/browser.js';
import { DEFAULT_SOPS_VERSION, REPO_ROOT, listReleases, loadManifest, readVector } from './helpers/sops.js';

const chromiumPath = requireChromium();
/**
 * The newest release (with the round trips) and the oldest, each via
 * WebCrypto and again with the pure-JS AES-GCM forced, and one release
 * between them. (test/vectors.test.ts runs every release in Node; here the
 * file must stay well under a minute on two cores.)
 */
const OLDEST = listReleases()[0]!;
const RUNS: [string, AesGcmPath][] = [
  [DEFAULT_SOPS_VERSION, 'webcrypto'],
  [DEFAULT_SOPS_VERSION, 'noble'],
  [OLDEST, 'webcrypto'],
  [OLDEST, 'noble'],
  ['3.10.2', 'webcrypto'],
];
const RELEASES = [...new Set(RUNS.map(([r]) => r))];
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

const exampleFile = readFileSync(join(REPO_ROOT, 'examples', 'secret.enc.yaml'), 'utf8');
const exampleKey = readFileSync(join(REPO_ROOT, 'examples', 'age.key'), 'utf8');
const exampleRecipient = /^# public key: (age1\S+)$/m.exec(exampleKey)![1]!;

// Skipped only without Chromium, with a visible message from requireChromium();
// CI sets SOPS_TS_REQUIRE_BROWSER=1, which turns a missing Chromium into a failure.
describe.skipIf(chromiumPath === undefined)('in Chromium', () => {
  let browser: Browser;
  let server: LoopbackServer;
  let webDir: string;
  const reports: (BrowserVectorReport & { release: string })[] = [];
  const caseCounts = new Map<string, number>();

  beforeAll(async () => {
    webDir = mkdtempSync(join(tmpdir(), 'sops-ts-web-'));
    // The page as users build it: the script, into a temp dir so parallel runs do not collide.
    const built = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-web.mjs'), '--outdir', webDir], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`scripts/build-web.mjs failed: ${built.stderr}`);
    const [harness, launched] = await Promise.all([bundleForBrowser('test/helpers/browser-harness.ts'), launchChromium(chromiumPath!)]);
    browser = launched;
    const routes = new Map([
      ['/', { type: 'text/html; charset=utf-8', body: readFileSync(join(webDir, 'index.html')) }],
      ['/harness.html', { type: 'text/html; charset=utf-8', body: '<!doctype html><meta charset="utf-8"><title>sops-ts harness</title><script type="module" src="/harness.js"></script>' }],
      ['/harness.js', { type: 'text/javascript; charset=utf-8', body: harness }],
    ]);
    for (const release of RELEASES) {
      const cases = browserVectorCases(release);
      caseCounts.set(release, cases.length);
      routes.set(`/cases/${release}.json`, { type: 'application/json', body: JSON.stringify(cases) });
    }
    server = await startLoopbackServer(routes);
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    for (const r of reports) {
      console.log(
        `[browser] sops ${r.release} via ${r.path} AES-GCM in Chromium: ${r.cases} vectors; decrypted ${r.decrypted} + same failure ${r.sameFailure}; ` +
          `tampered copy refused ${r.macRejected} (not applicable: ${r.tamperNotApplicable.length}); round trips ${r.roundTrips} + same failure ${r.roundTripSameFailure}; ` +
          `${r.subtleAesGcmCalls} WebCrypto AES-GCM calls; ${r.ms} ms`,
      );
    }
    await browser?.close();
    await server?.close();
    if (webDir !== undefined) rmSync(webDir, { recursive: true, force: true });
  });

  describe('the vector suite inside the page', () => {
    it.each(RUNS)('sops %s vectors via %s AES-GCM', async (release, path) => {
      const page = await browser.newPage();
      try {
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${server.origin}/harness.html`);
        await page.waitForFunction(() => 'sopsTsHarness' in globalThis);
        const report = await page.evaluate(
          ([url, p]) => (globalThis as unknown as { sopsTsHarness: SopsTsHarness }).sopsTsHarness.runVectors(url, p),
          [`/cases/${release}.json`, path] as const,
        );
        reports.push({ ...report, release });
        expect(errors).toEqual([]);
        expect(report.failures).toEqual([]);
        expect(report.cases).toBe(caseCounts.get(release));
        expect(report.cases).toBeGreaterThan(200);
        expect(report.decrypted + report.sameFailure).toBe(report.cases);
        expect(report.decrypted).toBeGreaterThan(200);
        // Files where the MAC covers nothing: an empty binary file, and mac_only_encrypted
        // files whose only encrypted value is the MAC itself (sops encrypted none of the data).
        for (const id of report.tamperNotApplicable) {
          const v = loadManifest(release).vectors.find((x) => x.id === id)!;
          const encValues = readVector(v.encrypted!).toString('latin1').split('ENC[AES256_GCM,data:').length - 1;
          expect({ id, covered: id.startsWith('binary-empty--') || (v.setting === 'mac_only_encrypted' && encValues === 1) }).toEqual({ id, covered: true });
        }
        expect(report.macRejected + report.tamperNotApplicable.length).toBe(report.decrypted);
        if (release === DEFAULT_SOPS_VERSION) {
          expect(report.roundTrips + report.roundTripSameFailure).toBe(report.cases);
          expect(report.roundTrips).toBeGreaterThan(300);
        }
        // loopback http is a secure context: WebCrypto exists, and only the forced path avoids it
        expect(report.hasSubtle).toBe(true);
        if (path === 'webcrypto') expect(report.subtleAesGcmCalls).toBeGreaterThan(report.cases);
        else expect(report.subtleAesGcmCalls).toBe(0);
      } finally {
        await page.close();
      }
    });
  });

  describe('the example web page (examples/web)', () => {
    /** A page of the built site, with every request it makes recorded. */
    async function openPage(url = `${server.origin}/`): Promise<{ page: Page; requests: { url: string; afterLoad: boolean }[]; problems: string[] }> {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const requests: { url: string; afterLoad: boolean }[] = [];
      const problems: string[] = [];
      let loaded = false;
      page.on('request', (r) => requests.push({ url: r.url(), afterLoad: loaded }));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      // A CSP violation by the page's own code (or a failed load) is logged as a console error.
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForSelector('html[data-ready="true"]');
      loaded = true;
      return { page, requests, problems };
    }

    async function decryptIn(page: Page, file: string, name: string, identity: string): Promise<void> {
      await page.fill('#file-text', file);
      await page.fill('#file-name', name);
      await page.fill('#identity', identity);
      await page.click('#decrypt');
      await page.waitForSelector('#status.ok, #status.error');
    }

    const text = (page: Page, selector: string) => page.locator(selector).evaluate((e) => e.textContent ?? '');

    it('decrypts the example with its key: plaintext, MAC verified, the recipient; no request but the page itself', async () => {
      const { page, requests, problems } = await openPage();
      try {
        await decryptIn(page, exampleFile, 'secret.enc.yaml', exampleKey);
        expect(await text(page, '#status')).toBe('MAC verified: the file is as it was encrypted.');
        // The same bytes as the library in Node (which the vector suite ties to sops's output).
        const want = await decrypt(exampleFile, { format: 'yaml', ageIdentities: parseAgeIdentities(exampleKey) });
        expect(await text(page, '#plaintext')).toBe(want);
        expect(await page.isVisible('#plaintext')).toBe(true);
        expect(await text(page, '#key-groups')).toContain(exampleRecipient);
        expect(await text(page, '#metadata')).toContain('^(data|stringData)$');
        await page.screenshot({ path: join(ARTIFACTS, 'web-page.png'), fullPage: true });

        expect(problems).toEqual([]);
        expect(requests).toEqual([{ url: `${server.origin}/`, afterLoad: false }]);
      } finally {
        await page.close();
      }
    });

    it('shows without a key what is and is not encrypted, from a dropped file', async () => {
      const { page, requests, problems } = await openPage();
      try {
        // A real drop event carrying a File, as the browser fires it.
        await page.evaluate(([content, name]) => {
          const data = new DataTransfer();
          data.items.add(new File([content], name));
          document.getElementById('file-zone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
        }, [exampleFile, 'secret.enc.yaml'] as const);
        await page.waitForFunction(() => (document.getElementById('file-name') as HTMLInputElement).value === 'secret.enc.yaml');
        expect(await page.inputValue('#file-text')).toBe(exampleFile);
        await page.click('#inspect');
        await page.waitForSelector('#status.info:not(:empty):not(:text("Reading"))');
        expect(await text(page, '#status')).toContain('Not decrypted');
        expect(await page.isHidden('#plaintext-box')).toBe(true);
        expect(await text(page, '#key-groups')).toContain(exampleRecipient);
        const rows = await page.locator('#values tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent).join(' | ')));
        // The file Go sops wrote with --encrypted-regex '^(data|stringData)$'.
        expect(rows).toEqual([
          '["apiVersion"] | value | plaintext (str)',
          '["kind"] | value | plaintext (str)',
          '["metadata"]["name"] | value | plaintext (str)',
          '["metadata"]["namespace"] | value | plaintext (str)',
          '["type"] | value | plaintext (str)',
          '["stringData"] | comment | encrypted (comment)',
          '["stringData"]["postgres-user"] | value | encrypted (str)',
          '["stringData"]["postgres-password"] | value | encrypted (str)',
          '["stringData"]["database"] | value | encrypted (str)',
        ]);
        expect(await text(page, '#values-summary')).toContain('4 of 9');
        await page.screenshot({ path: join(ARTIFACTS, 'web-page-keyless.png'), fullPage: true });
        expect(problems).toEqual([]);
        expect(requests.filter((r) => r.afterLoad)).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('a wrong key and a tampered file show their errors, and no plaintext', async () => {
      const { page, requests, problems } = await openPage();
      try {
        const otherKey = readFileSync(join(REPO_ROOT, 'vectors', 'keys', 'age-2.txt'), 'utf8');
        await decryptIn(page, exampleFile, 'secret.enc.yaml', otherKey);
        const wrong = await text(page, '#status');
        expect(wrong).toContain('ERR_NO_DATA_KEY, sops exit code 128');
        expect(wrong).toContain('Failed to get the data key required to decrypt the SOPS file.');
        expect(await page.isHidden('#plaintext-box')).toBe(true);
        // The recipients are still shown: they say which key is needed.
        expect(await text(page, '#key-groups')).toContain(exampleRecipient);

        // A plaintext value changed after encryption: the MAC must notice.
        const tampered = exampleFile.replace('namespace: apps', 'namespace: prod');
        expect(tampered).not.toBe(exampleFile);
        await decryptIn(page, tampered, 'secret.enc.yaml', exampleKey);
        const mac = await text(page, '#status');
        expect(mac).toContain('MAC check failed');
        expect(mac).toContain('ERR_MAC_MISMATCH, sops exit code 51');
        expect(await page.isHidden('#plaintext-box')).toBe(true);

        // Something that is not an identity: sops's message, never the text itself.
        await decryptIn(page, exampleFile, 'secret.enc.yaml', `${exampleRecipient}\n`);
        expect(await text(page, '#status')).toContain('unknown identity type (ERR_INVALID_KEY');
        expect(await text(page, '#status')).not.toContain(exampleRecipient);

        expect(problems).toEqual([]);
        expect(requests.filter((r) => r.afterLoad)).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('cannot send anything: its Content Security Policy blocks fetch, and the server sees only the page', async () => {
      const hitsBefore = server.hits.length;
      const { page, requests } = await openPage();
      try {
        const violations = page.evaluate(
          () =>
            new Promise<string[]>((resolve) => {
              const seen: string[] = [];
              document.addEventListener('securitypolicyviolation', (e) => seen.push(e.effectiveDirective));
              setTimeout(() => resolve(seen), 500);
            }),
        );
        const outcome = await page.evaluate(async (url) => fetch(url).then(() => 'fetched', (e: unknown) => `refused: ${String(e)}`), `${server.origin}/exfiltrate`);
        expect(outcome).toMatch(/^refused: TypeError/);
        expect(await violations).toContain('connect-src');
        expect(server.hits.slice(hitsBefore)).toEqual(['/']);
        expect(requests.filter((r) => r.afterLoad)).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('works as a saved file from file:// (no server)', async () => {
      const { page, requests, problems } = await openPage(pathToFileURL(join(webDir, 'index.html')).href);
      try {
        await decryptIn(page, exampleFile, 'secret.enc.yaml', exampleKey);
        expect(await text(page, '#status')).toContain('MAC verified');
        expect(problems).toEqual([]);
        expect(requests.map((r) => r.url)).toEqual([pathToFileURL(join(webDir, 'index.html')).href]);
      } finally {
        await page.close();
      }
    });
  });
});
