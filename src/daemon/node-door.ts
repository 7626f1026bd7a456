// The node door: the node API on TCP <lans port> for the other cluster nodes, TLS 1.3 with mutual
// certificates from the cluster CA (DESIGN §8). A peer must present a certificate signed by our CA
// whose CN names a node of cluster.xml; anything else is refused before a route runs.

import type { FastifyInstance } from 'fastify';
import type { TLSSocket } from 'node:tls';
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
