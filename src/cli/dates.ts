// The dates SafeKit's `secondforce -d` accepts (SAFEKIT-BEHAVIOUR §2.6.2): `YYYY-MM-DD`,
// `YYYY-MM-DD hh:mm:ss` and `YYYY-MM-DDThh:mm:ss`, each with an optional `Z` for UTC, else in the
// node's local time. Pure apart from the local time zone, which the caller may fix (tests).

export type DateResult = { ok: true; ms: number } | { ok: false; message: string };

const FORM = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?(Z?)$/;

/** Milliseconds since the epoch of a SafeKit date, or why it is not one. */
export function parseSafekitDate(text: string): DateResult {
  const m = FORM.exec(text.trim());
  const bad = (why: string): DateResult => ({ ok: false, message: `"${text}" is not a date: ${why} (write YYYY-MM-DD, "YYYY-MM-DD hh:mm:ss" or YYYY-MM-DDThh:mm:ss, with Z for UTC)` });
  if (!m) return bad('unknown form');
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0));
  if (month < 1 || month > 12) return bad(`month ${month}`);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate(); // the last day of that month
  if (day < 1 || day > days) return bad(`day ${day} of a month of ${days} days`);
  if (hour > 23 || minute > 59 || second > 59) return bad('time of day out of range');
  const ms = m[7] === 'Z' ? Date.UTC(year, month - 1, day, hour, minute, second) : new Date(year, month - 1, day, hour, minute, second).getTime();
  return { ok: true, ms };
}
