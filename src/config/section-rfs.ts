// <rfs>/<replicated> (mirror): replication settings, directories, exclusions and "!" replicate-only
// expressions (POSIX ERE). Semantics of the filters: docs/replication-filters.md.

import type { HeartbeatConfig, ReplicatedDir, RfsConfig } from '../shared/config.js';
import { Attrs, checkChildren, childrenNamed, int, legacy, oneOf, required, str, time, windows, type Schema } from './attrs.js';
import type { ProblemList } from './problems.js';
import type { XmlElement } from './xml.js';
import { ereToJs } from './ere.js';

const RFS: Schema = {
  acl: windows(), async: oneOf('second', 'none'), iotimeout: windows(), roflags: windows(),
  locktimeout: time('s'), sendtimeout: time('s'), nbrei: int(1, 64), ruzone_blocksize: int(4096),
  namespacepolicy: oneOf('0', '1', '3', '4'), reitimeout: time('s'), reicommit: int(0), reidetail: oneOf('on', 'off'),
  allocthreshold: int(0), nbremconn: int(1, 16), checktime: time('ms'), checkintv: time('s'),
  nfsbox_options: windows(), scripts: oneOf('on', 'off'), reiallowedbw: int(1), syncdelta: time('m'), syncat: str,
  mountoversuffix: str, packetsize: int(4096), reipacketsize: int(4096), mountover: legacy(),
};
const REPLICATED: Schema = { dir: required(str), mode: oneOf('read_only', 'read_write') };

export function readRfs(el: XmlElement, heartbeats: readonly HeartbeatConfig[], problems: ProblemList): RfsConfig {
  const a = new Attrs(el, RFS, problems);
  checkChildren(el, ['replicated', 'flow'], problems);
  const flows = childrenNamed(el, 'flow');
  let flowLan: string | undefined;
  for (const f of flows) {
    const fa = new Attrs(f, { name: str }, problems);
    checkChildren(f, ['server'], problems);
    if (childrenNamed(f, 'server').length > 0) problems.warning(f.pos, 'the legacy <rfs><flow><server/> form is read for compatibility', 'name the lan in <heartbeat ident="flow" name="…"/> instead');
    for (const s of childrenNamed(f, 'server')) new Attrs(s, { addr: required(str) }, problems);
    flowLan ??= fa.str('name');
  }
  flowLan = heartbeats.find((h) => h.ident === 'flow')?.lan ?? flowLan ?? heartbeats[0]?.lan;
  const reipacketsize = a.num('reipacketsize', 8_388_608);
  const ruzone = a.num('ruzone_blocksize', reipacketsize);
  if (ruzone % reipacketsize !== 0) problems.error(a.pos('ruzone_blocksize'), `ruzone_blocksize ${ruzone} is not a multiple of reipacketsize ${reipacketsize}`, 'make the zone size a multiple of the resync packet size');
  const packetsize = a.num('packetsize', 0);
  if (packetsize && reipacketsize > packetsize && a.has('reipacketsize')) problems.error(a.pos('reipacketsize'), `reipacketsize ${reipacketsize} exceeds packetsize ${packetsize}`, 'on Linux reipacketsize must not exceed packetsize');
  const suffix = a.str('mountoversuffix', '_For_SafeKit_Replication');
  if (!/^[A-Za-z0-9_.-]+$/.test(suffix)) problems.error(a.pos('mountoversuffix'), `mountoversuffix "${suffix}" must be a plain file-name suffix`, 'use letters, digits, "_", "." and "-"');
  const replicated = childrenNamed(el, 'replicated').map((r) => readReplicated(r, problems)).filter((r): r is ReplicatedDir => r !== null);
  if (replicated.length === 0) problems.error(el.pos, '<rfs> has no <replicated dir="…">', 'add the directories to replicate, or remove <rfs> for a mirror without replication');
  const syncdelta = a.num('syncdelta', 0) / 60_000;
  return {
    async: a.str('async', 'second') as RfsConfig['async'],
    locktimeoutMs: a.num('locktimeout', 100_000), sendtimeoutMs: a.num('sendtimeout', 30_000), reitimeoutMs: a.num('reitimeout', 150_000),
    checktimeMs: a.num('checktime', 220_000), checkintvMs: a.num('checkintv', 120_000),
    nbrei: a.num('nbrei', 6), nbremconn: a.num('nbremconn', 1), namespacepolicy: Number(a.str('namespacepolicy', '4')),
    ruzoneBlocksize: ruzone, reipacketsize,
    reiallowedbwKBs: a.has('reiallowedbw') ? a.num('reiallowedbw', 0) : undefined,
    syncdeltaMin: syncdelta > 1 ? syncdelta : 0,
    syncat: a.str('syncat'),
    mountoversuffix: suffix,
    replicated,
    flowLan,
  };
}

function readReplicated(el: XmlElement, problems: ProblemList): ReplicatedDir | null {
  const a = new Attrs(el, REPLICATED, problems);
  checkChildren(el, ['tocheck', 'notreplicated'], problems);
  const dir = a.str('dir');
  if (dir === undefined) return null;
  const at = a.pos('dir');
  if (/%[A-Za-z_][A-Za-z0-9_]*%/.test(dir)) {
    // an environment macro resolved at configuration time: the path is checked then
  } else if (!dir.startsWith('/')) problems.error(at, `replicated dir "${dir}" is not an absolute path`, 'write the full path, for example dir="/var/lib/app"');
  else if (/^\/+$/.test(dir)) problems.error(at, 'the file-system root "/" cannot be replicated', 'replicate the application directories instead');
  else if (/\s/.test(dir)) problems.error(at, `replicated dir "${dir}" contains white space, which Linux replication does not support`, 'move the data to a path without spaces');
  else if (dir.split('/').some((p) => p === '.' || p === '..')) problems.error(at, `replicated dir "${dir}" contains "." or ".." components`, 'write the canonical path');
  const rel = (p: string, pos: { line: number; col: number }, what: string): boolean => {
    if (p.startsWith('/')) { problems.error(pos, `${what} "${p}" must be relative to the replicated dir`, `write it without the leading "/" (relative to ${dir})`); return false; }
    if (p.split('/').includes('..')) { problems.error(pos, `${what} "${p}" leaves the replicated dir with ".."`); return false; }
    return true;
  };
  const tocheck: string[] = [];
  for (const t of childrenNamed(el, 'tocheck')) {
    const ta = new Attrs(t, { path: required(str) }, problems);
    const p = ta.str('path');
    if (p !== undefined && rel(p, ta.pos('path'), 'tocheck path')) tocheck.push(p);
  }
  const notreplicatedPaths: string[] = [];
  const excludeRegex: { ere: string; js: string }[] = [];
  const includeOnlyRegex: { ere: string; js: string }[] = [];
  for (const n of childrenNamed(el, 'notreplicated')) {
    const na = new Attrs(n, { path: str, regexpath: str }, problems);
    const path = na.str('path');
    const regexpath = na.str('regexpath');
    if ((path === undefined) === (regexpath === undefined)) {
      problems.error(n.pos, '<notreplicated> needs exactly one of path or regexpath', 'write path="relative/dir" or regexpath="ERE"');
      continue;
    }
    if (path !== undefined) {
      if (rel(path, na.pos('path'), 'notreplicated path')) notreplicatedPaths.push(path.replace(/\/+$/, ''));
      continue;
    }
    const only = regexpath!.startsWith('!');
    const ere = only ? regexpath!.slice(1) : regexpath!;
    const r = ereToJs(ere);
    if (!r.ok) {
      problems.error(na.pos('regexpath'), `regexpath "${regexpath}": ${r.message} (at character ${r.index + 1})`, 'regexpath is a POSIX extended regular expression on the path relative to the replicated dir');
      continue;
    }
    (only ? includeOnlyRegex : excludeRegex).push({ ere, js: r.js });
  }
  return { dir: dir.replace(/\/+$/, ''), readOnly: a.str('mode') === 'read_only', tocheck, notreplicatedPaths, excludeRegex, includeOnlyRegex };
}
