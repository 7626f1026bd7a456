// tandem cluster config | confcheck | confinfo | deconfig | package, on this node (SAFEKIT-BEHAVIOUR
// §8.2). `config FILE.xml` validates, installs the file as /etc/tandem/cluster.xml and creates a new
// cluster key and CA (as SafeKit does for an .xml); `config FILE.zip` installs cluster.xml with the
// keys the zip carries (made by `cluster package` on a configured node); `config` alone keeps the
// file and makes new keys; `config lock|unlock` freezes later configs. Nothing changes when the
// file is invalid or the configuration is locked. `tandem -H "*" -G` pushes the zip to every node.

import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { readZip, writeZip } from '../catalog/zip.js';
import { caDir, createClusterCa, deleteClusterCa } from '../daemon/pki.js';
import { parseClusterXml } from '../config/cluster.js';
import { formatProblem } from '../config/problems.js';
import { paths } from '../daemon/paths.js';
import { EXIT, emit, fail, type Output } from './output.js';
import { localNode } from './record.js';

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
  if (existsSync(f.lock)) fail(out, EXIT.failed, `the cluster configuration is locked (${readFileSync(f.lock, 'utf8').trim()})`, 'run "tandem cluster config unlock" first');
  if (!first) {
    if (!existsSync(f.xml)) fail(out, EXIT.invalid, 'cluster config needs a cluster.xml or cluster zip file (or lock | unlock)', 'tandem cluster config /path/to/cluster.xml');
    newKeys(f);
    emit(out, { ok: true, newKeys: true }, () => 'new cluster key and CA created for the applied cluster.xml\n  push them to every node: tandem -H "*" -G');
    return EXIT.ok;
  }
  let bytes: Buffer;
  try { bytes = readFileSync(first); } catch (e) { fail(out, EXIT.invalid, `cannot read ${first}: ${(e as NodeJS.ErrnoException).code}`); }
  const fromZip = first.endsWith('.zip') ? clusterZipContent(bytes, first, out) : null;
  const text = fromZip ? fromZip.xml : bytes.toString('utf8');
  const r = parseClusterXml(text, fromZip ? `${first}:cluster.xml` : first);
  if (!r.config) {
    emit(out, { ok: false, problems: r.problems.items }, () => r.problems.items.map(formatProblem).join('\n'));
    return EXIT.invalid;
  }
  mkdirSync(f.etc, { recursive: true });
  writeAtomically(f.xml, text, 0o644);
  if (fromZip) {
    writeAtomically(f.key, fromZip.key, 0o600);
    mkdirSync(caDir(f.etc), { recursive: true, mode: 0o700 });
    rmSync(join(caDir(f.etc), 'node.crt'), { force: true }); // re-issued by tandemd from the new CA
    writeAtomically(join(caDir(f.etc), 'ca.crt'), fromZip.caCrt, 0o644);
    writeAtomically(join(caDir(f.etc), 'ca.key'), fromZip.caKey, 0o600);
  } else newKeys(f);
  if (second === 'lock') writeFileSync(f.lock, `${new Date().toISOString()}\n`);
  const sig = signatureOf(text);
  emit(out, { ok: true, signature: sig, nodes: r.config.nodeNames, locked: second === 'lock', keysFrom: fromZip ? 'zip' : 'new' }, () =>
    `cluster configuration applied on this node (signature ${sig}, nodes ${r.config!.nodeNames.join(', ')}); ${fromZip ? 'keys from the zip' : 'a new cluster key and CA were created'}\n` +
    (fromZip ? '' : '  every node needs the same configuration and keys: "tandem -H "*" -G" pushes them to nodes that already trust this one;\n  a new node: "tandem cluster package /root/cluster.zip" here, then "tandem cluster config cluster.zip" there'));
  return EXIT.ok;
}

function newKeys(f: ReturnType<typeof files>): void {
  writeClusterKey(f.key);
  createClusterCa(f.etc);
}

const ZIP_FILES = ['cluster.xml', 'cluster.key', 'ca/ca.crt', 'ca/ca.key'] as const;

function clusterZipContent(bytes: Buffer, file: string, out: Output): { xml: string; key: string; caCrt: string; caKey: string } {
  let entries;
  try { entries = readZip(bytes); } catch (e) { fail(out, EXIT.invalid, `${file} is not a valid cluster zip: ${(e as Error).message}`); }
  const get = (name: string): string => {
    const e = entries.find((x) => x.name === name);
    if (!e) fail(out, EXIT.invalid, `${file} has no ${name}`, `a cluster zip holds ${ZIP_FILES.join(', ')}: make one with "tandem cluster package FILE.zip" on a configured node`);
    return e.data.toString('utf8');
  };
  return { xml: get('cluster.xml'), key: get('cluster.key'), caCrt: get('ca/ca.crt'), caKey: get('ca/ca.key') };
}

/** The applied cluster configuration with its keys, as a zip other nodes apply with `cluster config`. */
export function clusterZip(root?: string): Buffer {
  const f = files(root);
  return writeZip(ZIP_FILES.map((name) => ({ name, data: readFileSync(join(f.etc, name)), mode: name.endsWith('.key') ? 0o600 : 0o644 })));
}

export function clusterPackage(file: string | undefined, out: Output, root?: string): number {
  const f = files(root);
  if (!file || !isAbsolute(file)) fail(out, EXIT.invalid, 'cluster package needs an absolute path for the zip', 'tandem cluster package /root/cluster.zip');
  for (const name of ZIP_FILES) if (!existsSync(join(f.etc, name))) fail(out, EXIT.failed, `this node has no ${name}`, 'apply a cluster configuration first: tandem cluster config cluster.xml');
  writeFileSync(file, clusterZip(root), { mode: 0o600 });
  emit(out, { ok: true, file }, () => `cluster configuration and keys written to ${file} (mode 0600: it holds the cluster secrets)\n  on another node: tandem cluster config ${file}`);
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
    node: localNode(root), signature: signatureOf(readFileSync(f.xml, 'utf8')), date: statSync(f.xml).mtime.toISOString(),
    lock: existsSync(f.lock), key: existsSync(f.key),
  };
  emit(out, info, () => `Node    Signature         Date                      Lock\n${info.node.padEnd(7)} ${info.signature}  ${info.date}  ${info.lock ? 'locked' : 'unlocked'}`);
  return EXIT.ok;
}

export function clusterDeconfig(out: Output, root?: string): number {
  const f = files(root);
  if (existsSync(f.lock)) fail(out, EXIT.failed, 'the cluster configuration is locked', 'run "tandem cluster config unlock" first');
  for (const p of [f.xml, f.key]) rmSync(p, { force: true });
  deleteClusterCa(f.etc);
  emit(out, { ok: true }, () => 'cluster configuration and key removed from this node');
  return EXIT.ok;
}

export function clusterDelkey(out: Output, root?: string): number {
  rmSync(files(root).key, { force: true });
  deleteClusterCa(files(root).etc);
  emit(out, { ok: true }, () => 'cluster key removed from this node; nodes without the same key cannot form the cluster');
  return EXIT.ok;
}
