// rfsverify and rfsdiff (SAFEKIT-BEHAVIOUR §2.6): reports from a mirror's replicator, through
// tandemd. rfsverify runs on the secondary (it compares its copy with the primary's directories,
// entry by entry and block by block); rfsdiff on the primary (what a reintegration would send now).

import type { RuntimeReply } from '../module/runtime.js';
import type { DiffReport, VerifyReport } from '../replication/reports.js';
import { EXTERNAL_SYNC_UID, type ExternalSync } from '../core/mirror/types.js';
import { callDaemon } from './client.js';
import { EXIT, emit, fail, type Output } from './output.js';

type Answer = RuntimeReply | { ok: false; message: string };

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function verifyText(r: VerifyReport): string {
  if (r.identical) return `the copies are identical (${r.entries} entries compared, contents block by block)`;
  return [`${r.differences.length} difference(s) over ${r.entries} entries:`, ...r.differences.map((d) => `  ${d.path}: ${d.what}`),
    'a file the application wrote during the comparison can show here: run rfsverify again to confirm'].join('\n');
}

function diffText(r: DiffReport): string {
  const lines = r.dirs.map((d) => `  ${d.dir}: ${d.changed} entries changed, ${d.removed} removed, ${mib(d.bytes)} to send`);
  const how = r.zones ? 'a reintegration sends only what changed' : 'the map of changes does not cover the secondary\'s copy: the next reintegration is a full synchronization (every block compared)';
  const where = r.secondary === 'live' ? 'the secondary is up to date and receiving (nothing waits)' : r.secondary === 'resync' ? 'a reintegration is running' : 'the secondary is away';
  return [`${where}; ${how}`, ...lines, `estimated time: ${r.estimatedS} s at ${mib(r.rateBytesPerS)}/s (${r.rateFrom})`].join('\n');
}

export async function rfsReport(out: Output, root: string | undefined, verb: 'verify' | 'diff', module: string | undefined): Promise<number> {
  if (!module) fail(out, EXIT.invalid, `rfs${verb} needs -m AM`, `tandem rfs${verb} -m mirror`);
  const r = await callDaemon<Answer>(`rfs${verb}`, out, root, 'POST', `/api/v1/modules/${encodeURIComponent(module)}/rfs`, { verb });
  const doc = r.body;
  if (!doc.ok || !('report' in doc)) {
    if (out.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    else process.stderr.write(`tandem: rfs${verb}: ${doc.message}\n`);
    return EXIT.failed;
  }
  const report = doc.report as VerifyReport | DiffReport;
  emit(out, report, () => (verb === 'verify' ? verifyText(report as VerifyReport) : diffText(report as DiffReport)));
  // rfsverify's exit code says whether the copies differ, for scripts
  return verb === 'verify' && !(report as VerifyReport).identical ? EXIT.failed : EXIT.ok;
}

/** What `tandem rfssync …` asks for, or why its words make no sense. */
export type RfssyncArgs =
  | { readonly ok: true; readonly full: boolean; readonly seed?: ExternalSync }
  | { readonly ok: false; readonly message: string };

const SEED_UID = new RegExp(EXTERNAL_SYNC_UID);

/**
 * The words after `rfssync` (SAFEKIT-BEHAVIOUR §2.6.2): none (print the policy), `full`,
 * `external prim|second <uid>`, or `-d prim|second <uid>` (external, the copy not checked).
 */
export function parseRfssync(words: readonly string[]): RfssyncArgs {
  if (words.length === 0) return { ok: true, full: false };
  if (words.length === 1 && words[0] === 'full') return { ok: true, full: true };
  const [form, role, uid, ...rest] = words;
  if (form === 'full') return { ok: false, message: `unexpected "${words.slice(1).join(' ')}" after full` };
  if (form !== 'external' && form !== '-d') return { ok: false, message: `"${form}" is not a policy (full, external or -d)` };
  if (role !== 'prim' && role !== 'second') return { ok: false, message: `${form} needs the role of this node: prim (the source, before the backup) or second (the restored copy)` };
  if (uid === undefined || !SEED_UID.test(uid)) return { ok: false, message: `${form} ${role} needs a name for this synchronisation: 1 to 24 letters, digits, "_", "-" or "."${uid === undefined ? '' : ` ("${uid}" is not)`}` };
  if (rest.length) return { ok: false, message: `unexpected "${rest.join(' ')}" after the name` };
  return { ok: true, full: false, seed: { role, uid, check: form === 'external' } };
}
