// The cluster PKI (DESIGN §8): a per-cluster CA created with the cluster key, and a certificate for
// each node, signed by that CA, for the mutual-TLS node door on TCP <lans port>. Certificates are
// made with Debian's openssl command (docs/decisions/0005-openssl-for-certificates.md): ECDSA
// P-256, SHA-256; the CA lives 10 years, node certificates 2 years and are re-issued when missing,
// expired, or signed by another CA.
//
// Files, all under /etc/tandem/ca (keys mode 0600): ca.crt, ca.key, node.crt, node.key.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NodeCredentials {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function openssl(args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('the openssl command is missing: install the Debian package "openssl"');
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() ?? String(e)}`);
  }
}

export const caDir = (etc: string): string => join(etc, 'ca');

/**
 * A new cluster CA, replacing the current one (and this node's certificate with it). The replaced
 * credentials move to ca/previous: the other nodes still trust them until `-G` pushes the new CA,
 * so the push itself authenticates with them (previousCredentials).
 */
export function createClusterCa(etc: string): void {
  const dir = caDir(etc);
  const previous = join(dir, 'previous');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(join(dir, 'node.crt'))) {
    rmSync(previous, { recursive: true, force: true });
    mkdirSync(previous, { mode: 0o700 });
    for (const f of ['ca.crt', 'node.crt', 'node.key']) if (existsSync(join(dir, f))) renameSync(join(dir, f), join(previous, f));
  }
  for (const f of ['node.crt', 'node.key']) rmSync(join(dir, f), { force: true });
  openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256', '-days', '3650',
    '-subj', '/CN=tandem cluster CA', '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt')]);
  chmodSync(join(dir, 'ca.key'), 0o600);
}

export function deleteClusterCa(etc: string): void {
  rmSync(caDir(etc), { recursive: true, force: true });
}

/** This node's certificate (CN = node name), issued from the cluster CA when it is missing or stale. */
export function nodeCredentials(etc: string, node: string): NodeCredentials {
  const dir = caDir(etc);
  const f = { ca: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), cert: join(dir, 'node.crt'), key: join(dir, 'node.key'), csr: join(dir, 'node.csr'), ext: join(dir, 'node.ext') };
  if (!existsSync(f.ca) || !existsSync(f.caKey)) throw new Error(`no cluster CA in ${dir}: apply the cluster configuration again ("tandem cluster config …" or a cluster zip with "-G")`);
  if (!isValidNodeCert(f.cert, f.ca, node)) {
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256', '-subj', `/CN=${node}`, '-keyout', f.key, '-out', f.csr]);
    chmodSync(f.key, 0o600);
    writeFileSync(f.ext, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n');
    openssl(['x509', '-req', '-in', f.csr, '-CA', f.ca, '-CAkey', f.caKey, '-CAcreateserial', '-days', '730', '-sha256', '-extfile', f.ext, '-out', f.cert]);
    for (const tmp of [f.csr, f.ext, join(dir, 'ca.srl')]) rmSync(tmp, { force: true });
  }
  return { ca: readFileSync(f.ca, 'utf8'), cert: readFileSync(f.cert, 'utf8'), key: readFileSync(f.key, 'utf8') };
}

/** The credentials replaced by the last new CA, or null (see createClusterCa). */
export function previousCredentials(etc: string): NodeCredentials | null {
  const dir = join(caDir(etc), 'previous');
  try {
    return { ca: readFileSync(join(dir, 'ca.crt'), 'utf8'), cert: readFileSync(join(dir, 'node.crt'), 'utf8'), key: readFileSync(join(dir, 'node.key'), 'utf8') };
  } catch {
    return null;
  }
}

function isValidNodeCert(certFile: string, caFile: string, node: string): boolean {
  if (!existsSync(certFile)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    const ca = new X509Certificate(readFileSync(caFile));
    return cert.verify(ca.publicKey) && cert.subject === `CN=${node}` && Date.parse(cert.validTo) > Date.now() + 86_400_000;
  } catch {
    return false;
  }
}
