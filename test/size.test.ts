// Browser bundle budgets per entry point (gzipped KB, esbuild, minified,
// code splitting; scripts/size.mjs). A budget is a ceiling that fails the
// suite when a change makes an entry heavier. Issue 6's goal for the main
// entry is a 50 KB decrypt path (all five formats, age X25519 + PQ, with
// WebCrypto); `GOAL` records it and the gap is reported, not hidden.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM script without types
import { measure, measureApps } from '../scripts/size.mjs';

type Sizes = Record<string, { entry: number; upfront: number; decrypt: number; total: number }>;

/** Ceilings in KB gzipped: up-front (entry + static imports) and, for the root, the decrypt path. */
const BUDGET: Record<string, { upfront: number; decrypt?: number }> = {
  '.': { upfront: 43, decrypt: 84 },
  './stores/yaml': { upfront: 21 },
  './stores/json': { upfront: 6.5 },
  './stores/dotenv': { upfront: 4.5 },
  './stores/ini': { upfront: 6.2 },
  './stores/binary': { upfront: 6.7 },
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
 * Measured 34.8 / 75.5 KB; ceilings ~5% above.
 */
const APP_BUDGET: Record<string, { upfront: number; decrypt: number }> = {
  'decrypt-only': { upfront: 34.5, decrypt: 77 },
};
const GOAL_DECRYPT_KB = 50;

describe('bundle size per entry point', () => {
  let sizes: Sizes;
  it('measures every browser entry point', async () => {
    sizes = (await measure()) as Sizes;
    expect(Object.keys(sizes).sort()).toEqual(Object.keys(BUDGET).sort());
    const kb = (n: number) => (n / 1024).toFixed(1);
    console.log(
      `[size] . up-front ${kb(sizes['.']!.upfront)} KB, decrypt path ${kb(sizes['.']!.decrypt)} KB (goal ${GOAL_DECRYPT_KB} KB), all chunks ${kb(sizes['.']!.total)} KB`,
    );
  }, 60_000);

  let apps: Sizes;
  it('measures every app-shaped build', async () => {
    apps = (await measureApps()) as Sizes;
    expect(Object.keys(apps).sort()).toEqual(Object.keys(APP_BUDGET).sort());
    const kb = (n: number) => (n / 1024).toFixed(1);
    for (const [name, s] of Object.entries(apps)) console.log(`[size] app ${name}: up-front ${kb(s.upfront)} KB, decrypt path ${kb(s.decrypt)} KB (goal ${GOAL_DECRYPT_KB} KB)`);
  }, 60_000);

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
