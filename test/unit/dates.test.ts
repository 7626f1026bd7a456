// secondforce -d: the three SafeKit forms, UTC with Z and local time without; impossible dates refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSafekitDate } from '../../src/cli/dates.js';
import { isoDate } from '../../src/core/iso-date.js';

test('the three forms, with Z in UTC and without in local time', () => {
  assert.deepEqual(parseSafekitDate('2026-03-01Z'), { ok: true, ms: Date.UTC(2026, 2, 1) });
  assert.deepEqual(parseSafekitDate('2026-03-01 12:34:56Z'), { ok: true, ms: Date.UTC(2026, 2, 1, 12, 34, 56) });
  assert.deepEqual(parseSafekitDate('2026-03-01T12:34:56Z'), { ok: true, ms: Date.UTC(2026, 2, 1, 12, 34, 56) });
  assert.deepEqual(parseSafekitDate('2026-03-01T12:34:56'), { ok: true, ms: new Date(2026, 2, 1, 12, 34, 56).getTime() });
  assert.deepEqual(parseSafekitDate('2024-02-29'), { ok: true, ms: new Date(2024, 1, 29).getTime() });
});

test('impossible or malformed dates are refused, saying why and how to write one', () => {
  for (const [text, why] of [['2025-02-29', /day 29 of a month of 28 days/], ['2026-13-01', /month 13/], ['2026-01-01 24:00:00', /time of day/], ['yesterday', /unknown form/], ['2026-1-1', /unknown form/], ['2026-01-01 10:00', /unknown form/]] as const) {
    const r = parseSafekitDate(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) { assert.match(r.message, why); assert.match(r.message, /write YYYY-MM-DD/); }
  }
});

test('the core writes a date it was given as ISO 8601 UTC without Date, the same as Date would', () => {
  for (const ms of [0, 951_782_400_000, 1_764_460_800_000, 1_709_164_799_000, 4_102_444_800_000, 1_234_567_890_123]) {
    assert.equal(isoDate(ms), new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'), String(ms));
  }
});
