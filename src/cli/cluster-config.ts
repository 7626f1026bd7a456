// tandem cluster config | confcheck | confinfo | deconfig, on this node (SAFEKIT-BEHAVIOUR §8.2).
// `config FILE.xml` validates, installs the file as /etc/tandem/cluster.xml and creates a new
// cluster key (as SafeKit does for an .xml); `config lock|unlock` freezes later configs. Nothing
// changes when the file is invalid or the configuration is locked. Pushing to the other nodes
// (-G) and reloading a running tandemd come with the rest of the node-daemon issue.

import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseClusterXml } from '../config/cluster.js';
import { formatProblem } from '../config/problems.js';
import { paths } from '../daemon/paths.js';
import { EXIT, emit, fail, type Output } from './output.js';

function files(root?: string) {
  const etc = paths(root).etc;
  return { etc, xml: `${etc}/cluster.xml`, key: `${etc}/cluster.key`, lock: `${etc}/cluster.lock` };
}

/** The signature SafeKit's confinfo compares across nodes: a hash of the applied cluster.xml. */
export function signatureOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A new random cluster key, written atomically with mode 0600. */
export function writeClusterKey(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeAtomically(file, `${randomBytes(32).toString('base64')}\n`, 0o600);
}

function writeAtomically(path: string, content: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function clusterConfig(args: readonly string[], out: Output, root?: string): number {
  const f = files(root);
  const [first, second] = args;
  if (first === 'lock' || first === 'unlock') {
    if (!existsSync(f.xml)) fail(out, EXIT.failed, 'there is no cluster configuration to lock or unlock', 'apply one first: tandem cluster config cluster.xml');
    if (first === 'lock') writeFileSync(f.lock, `${new Date().toISOString()}\n`);
    else rmSync(f.lock, { force: true });
    emit(out, { ok: true, locked: first === 'lock' }, () => `cluster configuration ${first === 'lock' ? 'locked' : 'unlocked'}`);
    return EXIT.ok;
  }
  if (!first) fail(out, EXIT.invalid, 'cluster config needs a cluster.xml file (or lock | unlock)', 'tandem cluster config /path/to/cluster.xml');
  if (first.endsWith('.zip')) fail(out, EXIT.failed, 'applying a cluster zip (cluster.xml with its keys) is not supported yet', 'apply the cluster.xml, then copy /etc/tandem/cluster.key to every node');
  if (existsSync(f.lock)) fail(out, EXIT.failed, `the cluster configuration is locked (${readFileSync(f.lock, 'utf8').trim()})`, 'run "tandem cluster config unlock" first');
  let text: string;
  try { text = readFileSync(first, 'utf8'); } catch (e) { fail(out, EXIT.invalid, `cannot read ${first}: ${(e as NodeJS.ErrnoException).code}`); }
  const r = parseClusterXml(text, first);
  if (!r.config) {
    emit(out, { ok: false, problems: r.problems.items }, () => r.problems.items.map(formatProblem).join('\n'));
    return EXIT.invalid;
  }
  mkdirSync(f.etc, { recursive: true });
  writeAtomically(f.xml, text, 0o644);
  writeClusterKey(f.key);
  if (second === 'lock') writeFileSync(f.lock, `${new Date().toISOString()}\n`);
  const sig = signatureOf(text);
  emit(out, { ok: true, signature: sig, nodes: r.config.nodeNames, locked: second === 'lock' }, () =>
    `cluster configuration applied on this node (signature ${sig}, nodes ${r.config!.nodeNames.join(', ')}); a new cluster key was created\n` +
    '  every node needs the same cluster.xml and key: copy /etc/tandem/cluster.xml and cluster.key to the others, then restart tandemd');
  return EXIT.ok;
}

export function clusterConfcheck(file: string | undefined, out: Output): number {
  if (!file) fail(out, EXIT.invalid, 'cluster confcheck needs a cluster.xml file', 'tandem cluster confcheck cluster.xml');
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { fail(out, EXIT.invalid, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`); }
  const r = parseClusterXml(text, file);
  emit(out, { valid: !!r.config, problems: r.problems.items }, () => [r.config ? `${file}: valid` : `${file}: invalid`, ...r.problems.items.map(formatProblem)].join('\n'));
  return r.config ? EXIT.ok : EXIT.invalid;
}

export function clusterConfinfo(out: Output, root?: string): number {
  const f = files(root);
  if (!existsSync(f.xml)) fail(out, EXIT.failed, 'this node has no cluster configuration', 'apply one with: tandem cluster config cluster.xml');
  const info = {
    node: 'local', signature: signatureOf(readFileSync(f.xml, 'utf8')), date: statSync(f.xml).mtime.toISOString(),
    lock: existsSync(f.lock), key: existsSync(f.key),
  };
  emit(out, info, () => `Node    Signature         Date                      Lock\n${info.node.padEnd(7)} ${info.signature}  ${info.date}  ${info.lock ? 'locked' : 'unlocked'}`);
  return EXIT.ok;
}

export function clusterDeconfig(out: Output, root?: string): number {
  const f = files(root);
  if (existsSync(f.lock)) fail(out, EXIT.failed, 'the cluster configuration is locked', 'run "tandem cluster config unlock" first');
  for (const p of [f.xml, f.key]) rmSync(p, { force: true });
  emit(out, { ok: true }, () => 'cluster configuration and key removed from this node');
  return EXIT.ok;
}

export function clusterDelkey(out: Output, root?: string): number {
  rmSync(files(root).key, { force: true });
  emit(out, { ok: true }, () => 'cluster key removed from this node; nodes without the same key cannot form the cluster');
  return EXIT.ok;
}
