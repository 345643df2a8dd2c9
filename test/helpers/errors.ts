import { expect } from 'vitest';
import { SopsError } from '../../src/errors.js';

/** The SopsError `fn` throws (the test fails if it throws anything else, or nothing). */
export function sopsError(fn: () => unknown): SopsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SopsError);
    return e as SopsError;
  }
  throw new Error('expected a SopsError');
}
