// Browser bundle budgets per entry point (gzipped KB, esbuild, minified,
// code splitting; scripts/size.mjs). A budget is a ceiling that fails the
// suite when a change makes an entry heavier. Issue 6's goal: a page that
// decrypts and verifies all five formats with age (X25519 + PQ) through
// the main entry loads at most 50 KB gzipped (`GOAL_DECRYPT_KB`, asserted
// on the decrypt-only app build); the whole root entry, with encryption,
// re-keying and tree editing too, is reported beside it.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM script without types
import { measure, measureApps } from '../scripts/size.mjs';

type Sizes = Record<string, { entry: number; upfront: number; decrypt: number; total: number }>;

/** Ceilings in KB gzipped: up-front (entry + static imports) and, for the root, the decrypt path. */
const BUDGET: Record<string, { upfront: number; decrypt?: number }> = {
  '.': { upfront: 25.5, decrypt: 55 },
  './stores/yaml': { upfront: 18.6 },
  './stores/json': { upfront: 5.5 },
  './stores/dotenv': { upfront: 4.0 },
  './stores/ini': { upfront: 5.7 },
  './stores/binary': { upfront: 5.7 },
  './pgp': { upfront: 2.5 },
  './aws-kms': { upfront: 3.2 },
  './gcp-kms': { upfront: 2 },
  './azure-kv': { upfront: 3.1 },
  './hc-vault': { upfront: 5.4 },
  './hckms': { upfront: 2.3 },
};
/**
 * Ceilings for app-shaped builds (scripts/size.mjs `APPS`): `decrypt-only`
 * is a page that imports only `decrypt` from the main entry, issue 6's case.
 * Measured 17.2 / 46.4 KB; the decrypt path's ceiling is the goal itself.
 */
const APP_BUDGET: Record<string, { upfront: number; decrypt: number }> = {
  'decrypt-only': { upfront: 18.2, decrypt: 50 },
};
const GOAL_DECRYPT_KB = 50;

describe('bundle size per entry point', () => {
  let sizes: Sizes;
  it('measures every browser entry point', async () => {
    sizes = (await measure()) as Sizes;
    expect(Object.keys(sizes).sort()).toEqual(Object.keys(BUDGET).sort());
    const kb = (n: number) => (n / 1024).toFixed(1);
    console.log(
      `[size] . (every export) up-front ${kb(sizes['.']!.upfront)} KB, decrypt path ${kb(sizes['.']!.decrypt)} KB, all chunks ${kb(sizes['.']!.total)} KB`,
    );
  }, 60_000);

  let apps: Sizes;
  it('measures every app-shaped build', async () => {
    apps = (await measureApps()) as Sizes;
    expect(Object.keys(apps).sort()).toEqual(Object.keys(APP_BUDGET).sort());
    const kb = (n: number) => (n / 1024).toFixed(1);
    for (const [name, s] of Object.entries(apps)) console.log(`[size] app ${name}: up-front ${kb(s.upfront)} KB, decrypt path ${kb(s.decrypt)} KB (goal ${GOAL_DECRYPT_KB} KB)`);
  }, 60_000);

  it('issue 6: a page that decrypts and verifies all five formats with age (X25519 + PQ) loads at most 50 KB gzipped', () => {
    expect(apps['decrypt-only']!.decrypt / 1024).toBeLessThanOrEqual(GOAL_DECRYPT_KB);
  });

  it.each(Object.entries(APP_BUDGET))('app %s stays within its budget', (name, b) => {
    const s = apps[name]!;
    expect(s.upfront / 1024, `app ${name} up-front KB`).toBeLessThanOrEqual(b.upfront);
    expect(s.decrypt / 1024, `app ${name} decrypt path KB`).toBeLessThanOrEqual(b.decrypt);
  });

  it.each(Object.entries(BUDGET))('%s stays within its budget', (name, b) => {
    const s = sizes[name]!;
    expect(s.upfront / 1024, `${name} up-front KB`).toBeLessThanOrEqual(b.upfront);
    if (b.decrypt !== undefined) expect(s.decrypt / 1024, `${name} decrypt path KB`).toBeLessThanOrEqual(b.decrypt);
  });
});
