// The node door: the node API on TCP <lans port> for the other cluster nodes, TLS 1.3 with mutual
// certificates from the cluster CA (DESIGN §8). A peer must present a certificate signed by our CA
// whose CN names a node of cluster.xml; anything else is refused before a route runs.

import type { FastifyInstance } from 'fastify';
import { request } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { buildApi, type NodeView } from '../api/server.js';
import type { AdminView } from '../api/admin-routes.js';
import type { NodeCredentials } from './pki.js';

export async function openNodeDoor(view: NodeView, admin: AdminView, creds: NodeCredentials, host: string, port: number, nodes: () => readonly string[]): Promise<FastifyInstance> {
  const app = buildApi(view, admin, {
    https: { key: creds.key, cert: creds.cert, ca: creds.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
  });
  app.addHook('onRequest', async (req, reply) => {
    const cn = (req.raw.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
    const peer = typeof cn === 'string' ? cn : null;
    if (!peer || !nodes().includes(peer)) {
      return reply.code(403).send({ error: `the client certificate (${peer ?? 'no CN'}) names no node of this cluster` });
    }
  });
  await app.listen({ host, port });
  return app;
}

export interface NodeTarget { readonly node: string; readonly addr: string; readonly port: number }

/**
 * One request to another node's door (GET when there is no body), authenticated with this node's
 * certificate; the server must present the certificate of `t.node`.
 */
export function callNode<T>(t: NodeTarget, creds: NodeCredentials, path: string, body: unknown, timeoutMs = 330_000): Promise<T> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: t.addr, port: t.port, method: body === undefined ? 'GET' : 'POST', path, key: creds.key, cert: creds.cert, ca: creds.ca, minVersion: 'TLSv1.3', timeout: timeoutMs,
      headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      checkServerIdentity: (_host: string, cert: PeerCertificate) => (cert.subject?.CN === t.node ? undefined : new Error(`the server at ${t.addr} presents the certificate of "${cert.subject?.CN}", not of ${t.node}`)),
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        try {
          const doc = JSON.parse(text) as T & { error?: string };
          if ((res.statusCode ?? 500) >= 400) reject(new Error(doc.error ?? `HTTP ${res.statusCode}`)); else resolve(doc);
        } catch { reject(new Error(`unreadable answer (HTTP ${res.statusCode})`)); }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
