// Time attributes with units (SAFEKIT-BEHAVIOUR §5.1). Each attribute has an implicit unit; a bare
// number is read in it; a value with another unit is converted to it and rounded; a non-zero value
// that rounds to 0 is an error. We return milliseconds for the rest of tandem.

export type TimeUnit = 'd' | 'h' | 'm' | 's' | 'ms' | 'us';

const US_PER: Record<TimeUnit, number> = {
  d: 86_400_000_000, h: 3_600_000_000, m: 60_000_000, s: 1_000_000, ms: 1_000, us: 1,
};

export type TimeResult = { ok: true; ms: number } | { ok: false; message: string; hint: string };

export function parseTime(raw: string, attribute: string, implicit: TimeUnit): TimeResult {
  const m = /^\s*(\d{1,12})\s*(d|h|ms|us|m|s)?\s*$/.exec(raw);
  if (!m) {
    return {
      ok: false,
      message: `invalid value '${raw}' for the attribute ${attribute} (expected a number with an optional unit d, h, m, s, ms or us)`,
      hint: `write for example ${attribute}="30${implicit}"`,
    };
  }
  const n = Number(m[1]);
  const unit = (m[2] ?? implicit) as TimeUnit;
  // Truncated toward zero, as SafeKit does: 500ms for a seconds attribute is 0 s, an error.
  const inImplicit = Math.floor((n * US_PER[unit]) / US_PER[implicit]);
  if (n !== 0 && inImplicit === 0) {
    return {
      ok: false,
      message: `invalid value '${raw}' for the attribute ${attribute} (expected time unit: '${implicit}')`,
      hint: `the value rounds to 0 ${implicit}; give at least 1${implicit}`,
    };
  }
  return { ok: true, ms: (inImplicit * US_PER[implicit]) / 1000 };
}

export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0 && ms >= 600_000) return `${ms / 60_000}m`;
  if (ms !== 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
