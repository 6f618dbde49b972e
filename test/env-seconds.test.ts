// The safety windows a test may shorten: what a setting gives, and what it never gives.
import { afterEach, expect, it } from 'vitest';
import { windowFromEnv } from '../src/env-seconds.js';

const NAME = 'RUN_INSPECT_TEST_WINDOW_S';
afterEach(() => {
  delete process.env[NAME];
});

it('is the setting in seconds, at least 2; unset, empty or not a number is the fallback', () => {
  const window = (value: string | undefined) => {
    if (value === undefined) delete process.env[NAME];
    else process.env[NAME] = value;
    return windowFromEnv(NAME, 30);
  };
  expect(window(undefined)).toBe(30_000);
  expect(window('')).toBe(30_000);
  expect(window('  ')).toBe(30_000);
  expect(window('soon')).toBe(30_000);
  expect(window('5')).toBe(5_000);
  expect(window('0.5')).toBe(2_000);
  expect(window('0')).toBe(2_000);
  expect(window('90')).toBe(90_000);
});
