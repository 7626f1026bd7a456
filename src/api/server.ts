// The node API. Routes read the daemon through a narrow interface so the same routes can be served
// on every door (local socket now; TLS node door and web service later).

import Fastify, { type FastifyInstance } from 'fastify';

export interface NodeView {
  readonly node: string;
  readonly version: string;
  readonly incarnation: number;
  /** Every cluster node with its membership state as this node sees it. */
  clusterState(): { name: string; state: 'up' | 'down' | 'self' }[];
}

const clusterStateSchema = {
  response: {
    200: {
      type: 'object',
      required: ['node', 'nodes'],
      properties: {
        node: { type: 'string' },
        nodes: { type: 'array', items: { type: 'object', required: ['name', 'state'], properties: { name: { type: 'string' }, state: { type: 'string', enum: ['up', 'down', 'self'] } } } },
      },
    },
  },
} as const;

export function buildApi(view: NodeView): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/api/v1/level', async () => ({ node: view.node, version: view.version, incarnation: view.incarnation }));
  app.get('/api/v1/cluster/state', { schema: clusterStateSchema }, async () => ({ node: view.node, nodes: view.clusterState() }));
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url}`, hint: 'the API lists its routes under /api/v1' });
  });
  return app;
}
