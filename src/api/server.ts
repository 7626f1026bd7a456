// The node API. Routes read the daemon through narrow interfaces so the same routes can be served
// on every door (local socket, the mutual-TLS node door, later the web service with roles).

import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { SecureContextOptions } from 'node:tls';
import { adminRoutes, type AdminView } from './admin-routes.js';
import type { ModuleCommand, RuntimeReply } from '../module/runtime.js';
import { EXTERNAL_SYNC_UID } from '../core/mirror/types.js';

export interface NodeView {
  readonly node: string;
  readonly version: string;
  readonly incarnation: number;
  /** Every cluster node with its membership state as this node sees it. */
  clusterState(): { name: string; state: 'up' | 'down' | 'self' }[];
  readonly modules: ModulesView;
}

export interface ModulesView {
  /** Configured modules and their processes. */
  list(): { module: string; pid: number | null; starts: number; gaveUp: boolean }[];
  /** Starts or stops module processes to match what is configured. */
  reconcile(): void;
  command(module: string, command: ModuleCommand, by: string, identity?: string): Promise<RuntimeReply>;
  set(module: string, name: string, value: string, by: string, history: boolean): Promise<RuntimeReply>;
  state(module: string): Promise<RuntimeReply>;
  /** Restarts a stopped module's process so it reads its configuration again; refused unless stopped. */
  reload(module: string): Promise<RuntimeReply>;
  /** rfsverify / rfsdiff: the replicator's report. */
  rfs(module: string, verb: 'verify' | 'diff'): Promise<RuntimeReply>;
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

const moduleParams = { type: 'object', required: ['module'], properties: { module: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$' } } } as const;

const commandSchema = {
  params: moduleParams,
  body: {
    type: 'object', required: ['command', 'by'], additionalProperties: false,
    properties: {
      command: {
        type: 'object', required: ['kind'],
        // secondforce says since when (milliseconds since the epoch)
        if: { properties: { kind: { const: 'secondforce' } } }, then: { required: ['sinceMs'] },
        properties: {
          kind: { type: 'string', enum: ['start', 'stop', 'forcestop', 'restart', 'stopstart', 'primforce', 'shutdown', 'prim', 'second', 'secondforce', 'swap', 'setting', 'loop', 'rfssync'] },
          fullsync: { type: 'boolean' }, nosync: { type: 'boolean' }, full: { type: 'boolean' }, sinceMs: { type: 'integer', minimum: 0 },
          setting: { type: 'string', enum: ['failover', 'errd', 'checker'] }, on: { type: 'boolean' },
          op: { type: 'string', enum: ['inc', 'reset', 'check'] },
          // rfssync external|-d prim|second <uid>
          seed: {
            type: 'object', required: ['role', 'uid', 'check'], additionalProperties: false,
            properties: { role: { type: 'string', enum: ['prim', 'second'] }, uid: { type: 'string', pattern: EXTERNAL_SYNC_UID }, check: { type: 'boolean' } },
          },
        },
      },
      by: { type: 'string', maxLength: 200 },
      identity: { type: 'string', maxLength: 200 },
    },
  },
} as const;

const setSchema = {
  params: moduleParams,
  body: {
    type: 'object', required: ['name', 'value', 'by'], additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,200}$' },
      value: { type: 'string', maxLength: 1000 },
      by: { type: 'string', maxLength: 200 },
      history: { type: 'boolean' },
    },
  },
} as const;

/** The same routes on every door; `options` carries the door's transport (TLS for the node door). */
export function buildApi(view: NodeView, admin: AdminView, options: FastifyServerOptions & { https?: SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean; minVersion?: string } } = {}): FastifyInstance {
  const app = Fastify({ logger: false, ...options } as FastifyServerOptions) as unknown as FastifyInstance;
  adminRoutes(app, admin);
  app.get('/api/v1/level', async () => ({ node: view.node, version: view.version, incarnation: view.incarnation }));
  app.get('/api/v1/cluster/state', { schema: clusterStateSchema }, async () => ({ node: view.node, nodes: view.clusterState() }));

  app.get('/api/v1/modules', async () => ({ node: view.node, modules: view.modules.list() }));
  app.post('/api/v1/modules/reconcile', async () => { view.modules.reconcile(); return { ok: true, modules: view.modules.list() }; });
  // A module that is not configured or not answering is 503 with the reason; a refused command is 409.
  const answer = async (reply: { code: (n: number) => unknown }, work: () => Promise<RuntimeReply>) => {
    try {
      const r = await work();
      reply.code(r.ok ? 200 : 409);
      return r;
    } catch (e) {
      reply.code(503);
      return { ok: false, message: (e as Error).message };
    }
  };
  app.get<{ Params: { module: string } }>('/api/v1/modules/:module', { schema: { params: moduleParams } }, (req, reply) => answer(reply, () => view.modules.state(req.params.module)));
  app.post<{ Params: { module: string } }>('/api/v1/modules/:module/reload', { schema: { params: moduleParams } }, (req, reply) => answer(reply, () => view.modules.reload(req.params.module)));
  app.post<{ Params: { module: string }; Body: { command: ModuleCommand; by: string; identity?: string } }>('/api/v1/modules/:module/commands', { schema: commandSchema },
    (req, reply) => answer(reply, () => view.modules.command(req.params.module, req.body.command, req.body.by, req.body.identity)));
  app.post<{ Params: { module: string }; Body: { name: string; value: string; by: string; history?: boolean } }>('/api/v1/modules/:module/resources', { schema: setSchema },
    (req, reply) => answer(reply, () => view.modules.set(req.params.module, req.body.name, req.body.value, req.body.by, req.body.history ?? true)));

  app.post<{ Params: { module: string }; Body: { verb: 'verify' | 'diff' } }>('/api/v1/modules/:module/rfs', {
    schema: { params: moduleParams, body: { type: 'object', required: ['verb'], additionalProperties: false, properties: { verb: { enum: ['verify', 'diff'] } } } },
  }, (req, reply) => answer(reply, () => view.modules.rfs(req.params.module, req.body.verb)));

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url}`, hint: 'the API lists its routes under /api/v1' });
  });
  return app;
}
