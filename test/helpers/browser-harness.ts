// The vector suite as it runs inside a browser page. test/browser.test.ts
// bundles this file with esbuild (platform browser), serves it from a
// loopback HTTP server and calls `sopsTsHarness.runVectors(url, path)` in
// Chromium; the cases come from the same server (built in Node by
// test/helpers/browser.ts from vectors/sops-<ver>/manifest.json).
//
// Everything here runs on web APIs only, through the library's root entry
// (what a browser user imports), plus the internal switch that forces the
// pure-JS AES-GCM fallback (src/aes-gcm.ts) so both paths see the same vectors.
import { _forceNobleAesGcm } from '../../src/aes-gcm.js';
import {
  Branch,
  Comment,
  SopsError,
  decryptDocument,
  decryptToBytes,
  emitEncrypted,
  encrypt,
  isEncryptedValue,
  loadEncrypted,
  parseAgeIdentities,
  parseEncryptedValue,
  storeFor,
  type Format,
  type List,
  type TreeBranches,
} from '../../src/index.js';

/** What an operation must give: these exact bytes (base64), or a `SopsError` with sops's exit code. */
export type BrowserExpectation = { plaintext: string } | { exitCode: number };

/** One vector, as the page receives it (JSON). */
export interface BrowserVectorCase {
  id: string;
  format: Format;
  /** The file Go sops wrote, base64. */
  encrypted: string;
  /** The text of the age key file that must decrypt it. */
  keyFile: string;
  /** What decrypting it must give (sops's `.dec`, or 3.13.3's output where releases differ). */
  expect: BrowserExpectation;
  /**
   * The newest release only: encrypt sops's input with the file's selection
   * rules to `recipient`, decrypt that, and get what sops's own encrypt →
   * decrypt of the same input gave.
   */
  roundTrip?: { input: string; recipient: string; expect: BrowserExpectation };
}

/** The AES-GCM implementation a run forces. */
export type AesGcmPath = 'webcrypto' | 'noble';

/** What one run of the suite in the page did. */
export interface BrowserVectorReport {
  path: AesGcmPath;
  cases: number;
  /** Decrypted with the MAC verified, byte-identical to the expectation. */
  decrypted: number;
  /** Refused with sops's exit code where sops refuses. */
  sameFailure: number;
  /** Tampered copies refused with the MAC error. */
  macRejected: number;
  /** Vectors with no value whose removal or change the MAC must notice (ids). */
  tamperNotApplicable: string[];
  /** Encrypt → decrypt round trips equal to sops's. */
  roundTrips: number;
  /** Round trips refused as sops refuses its own (a plaintext `-0`). */
  roundTripSameFailure: number;
  failures: { id: string; step: string; message: string }[];
  /** AES-GCM calls that went to `crypto.subtle` during the run (must be 0 on the noble path). */
  subtleAesGcmCalls: number;
  /** Whether the page is a secure context with `crypto.subtle` (loopback http is). */
  hasSubtle: boolean;
  ms: number;
}

// Count the AES-GCM operations WebCrypto performs, to prove which path ran.
let subtleAesGcmCalls = 0;
if (globalThis.crypto?.subtle !== undefined) {
  const proto = Object.getPrototypeOf(globalThis.crypto.subtle) as SubtleCrypto;
  for (const name of ['encrypt', 'decrypt'] as const) {
    const original = proto[name];
    proto[name] = function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto['encrypt']>) {
      const alg = args[0];
      if ((typeof alg === 'string' ? alg : alg.name).toUpperCase() === 'AES-GCM') subtleAesGcmCalls++;
      return original.apply(this, args);
    } as SubtleCrypto[typeof name];
  }
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBytes(x: string | Uint8Array): Uint8Array {
  return typeof x === 'string' ? new TextEncoder().encode(x) : x;
}

/** `undefined` when equal, else where they first differ (never the bytes: they are secrets in real use). */
function difference(got: Uint8Array, want: Uint8Array): string | undefined {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) if (got[i] !== want[i]) return `bytes differ at offset ${i} (got ${got.length} bytes, want ${want.length})`;
  return got.length === want.length ? undefined : `got ${got.length} bytes, want ${want.length}`;
}

function describeError(e: unknown): string {
  return e instanceof SopsError ? `${e.code} (exit ${e.exitCode}): ${e.message}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Change the data of a loaded encrypted file the way someone without the key
 * could, so that the MAC must notice: append to a non-empty plaintext string
 * (every value is in the MAC unless `mac_only_encrypted`), or else remove an
 * encrypted value that is not empty (every encrypted value is in the MAC; an
 * empty one adds no bytes to the hash). Changing a value keeps the file's
 * shape, which matters under the comment rules: removing an item would move
 * a marker comment onto the next value. Returns false when the file has
 * neither (then the MAC covers nothing).
 */
function tamper(branches: TreeBranches, macOnlyEncrypted: boolean): boolean {
  const removable = (v: unknown): boolean => typeof v === 'string' && isEncryptedValue(v) && parseEncryptedValue(v).data.length > 0;
  const removeEncrypted = (v: Branch | List): boolean => {
    if (v instanceof Branch) {
      for (let i = 0; i < v.items.length; i++) {
        const value = v.items[i]!.value;
        if (v.items[i]!.key instanceof Comment) continue;
        if (removable(value)) return v.items.splice(i, 1).length === 1;
        if ((value instanceof Branch || Array.isArray(value)) && removeEncrypted(value)) return true;
      }
      return false;
    }
    for (let i = 0; i < v.length; i++) {
      const value = v[i]!;
      if (removable(value)) return v.splice(i, 1).length === 1;
      if ((value instanceof Branch || Array.isArray(value)) && removeEncrypted(value)) return true;
    }
    return false;
  };
  const changePlain = (v: Branch | List): boolean => {
    const items = v instanceof Branch ? v.items : v.map((value) => ({ key: null, value }));
    for (let i = 0; i < items.length; i++) {
      const { key, value } = items[i]!;
      if (key instanceof Comment) continue;
      // Not an empty string: sops stores "" as it is even where the rules
      // encrypt, and decrypting then expects an ENC[…] there.
      if (typeof value === 'string' && value !== '' && !isEncryptedValue(value)) {
        if (v instanceof Branch) v.items[i]!.value = value + 'x';
        else v[i] = value + 'x';
        return true;
      }
      if ((value instanceof Branch || Array.isArray(value)) && changePlain(value)) return true;
    }
    return false;
  };
  return (!macOnlyEncrypted && branches.some(changePlain)) || branches.some(removeEncrypted);
}

async function runVectors(casesUrl: string, path: AesGcmPath): Promise<BrowserVectorReport> {
  const cases = (await (await fetch(casesUrl)).json()) as BrowserVectorCase[];
  const report: BrowserVectorReport = {
    path,
    cases: cases.length,
    decrypted: 0,
    sameFailure: 0,
    macRejected: 0,
    tamperNotApplicable: [],
    roundTrips: 0,
    roundTripSameFailure: 0,
    failures: [],
    subtleAesGcmCalls: 0,
    hasSubtle: globalThis.crypto?.subtle !== undefined,
    ms: 0,
  };
  const start = performance.now();
  const callsBefore = subtleAesGcmCalls;
  _forceNobleAesGcm(path === 'noble');
  try {
    for (const c of cases) {
      let step = 'decrypt';
      try {
        const enc = fromBase64(c.encrypted);
        const ageIdentities = parseAgeIdentities(c.keyFile);
        // 1. decrypt, MAC verified, to the bytes sops prints
        const result = await decryptDocument(enc, { format: c.format, ageIdentities }).then((d) => ({ d }), (e: unknown) => ({ e }));
        if ('exitCode' in c.expect) {
          if (!('e' in result) || !(result.e instanceof SopsError) || result.e.exitCode !== c.expect.exitCode) {
            throw new Error(`expected a failure with exit code ${c.expect.exitCode}, got ${'e' in result ? describeError(result.e) : 'success'}`);
          }
          report.sameFailure++;
        } else {
          if ('e' in result) throw result.e;
          const out = toBytes((await storeFor(c.format)).emitPlainFile(result.d.branches));
          const diff = difference(out, fromBase64(c.expect.plaintext));
          if (diff !== undefined) throw new Error(diff);
          report.decrypted++;

          // 2. a tampered copy must fail the MAC check
          step = 'tamper';
          const file = await loadEncrypted(enc, c.format);
          if (!tamper(file.branches, file.metadata.rules.macOnlyEncrypted === true)) {
            report.tamperNotApplicable.push(c.id);
          } else {
            const tampered = await emitEncrypted(file);
            const t = await decryptDocument(tampered, { format: c.format, ageIdentities }).then(() => undefined, (e: unknown) => e);
            if (!(t instanceof SopsError) || t.code !== 'ERR_MAC_MISMATCH' || !t.message.startsWith('MAC mismatch.')) {
              throw new Error(`a tampered copy was not refused with the MAC error: ${t === undefined ? 'it decrypted' : describeError(t)}`);
            }
            report.macRejected++;
          }
        }

        // 3. encrypt sops's input ourselves, decrypt it, compare with sops's own cycle
        if (c.roundTrip !== undefined) {
          step = 'encrypt → decrypt';
          const { rules } = (await loadEncrypted(enc, c.format)).metadata;
          const ours = await encrypt(fromBase64(c.roundTrip.input), { format: c.format, age: [c.roundTrip.recipient], ...rules });
          const back = await decryptToBytes(ours, { format: c.format, ageIdentities }).then((b) => ({ b }), (e: unknown) => ({ e }));
          const want = c.roundTrip.expect;
          if ('exitCode' in want) {
            if (!('e' in back) || !(back.e instanceof SopsError) || back.e.exitCode !== want.exitCode) {
              throw new Error(`expected a failure with exit code ${want.exitCode}, got ${'e' in back ? describeError(back.e) : 'success'}`);
            }
            report.roundTripSameFailure++;
          } else {
            if ('e' in back) throw back.e;
            const diff = difference(back.b, fromBase64(want.plaintext));
            if (diff !== undefined) throw new Error(diff);
            report.roundTrips++;
          }
        }
      } catch (e) {
        report.failures.push({ id: c.id, step, message: describeError(e) });
      }
    }
  } finally {
    _forceNobleAesGcm(false);
  }
  report.subtleAesGcmCalls = subtleAesGcmCalls - callsBefore;
  report.ms = Math.round(performance.now() - start);
  return report;
}

/** The harness's entry, called by the test through `page.evaluate`. */
export interface SopsTsHarness {
  runVectors(casesUrl: string, path: AesGcmPath): Promise<BrowserVectorReport>;
}

(globalThis as { sopsTsHarness?: SopsTsHarness }).sopsTsHarness = { runVectors };
