// Node administration routes, for the CLI's distributed commands (-H, -G, -E): run a tandem
// command on this node, apply a cluster zip, install a module package with a given id. They are
// served on the local socket (root) and the mutual-TLS node door (cluster nodes only); the web
// door will serve them to the Admin role.

import type { FastifyInstance } from 'fastify';

export interface CommandRun { readonly code: number; readonly stdout: string; readonly stderr: string }

export interface AdminView {
  /** Runs `tandem ARGV` on this node and returns what it printed. */
  run(argv: readonly string[]): Promise<CommandRun>;
  /** Applies a cluster zip (cluster.xml and keys); `cluster config` then asks for a reload. */
  applyCluster(zip: Buffer): Promise<CommandRun>;
  /** Re-reads the applied cluster configuration soon (after this answer: the reload reopens the doors). */
  reloadSoon(): void;
  /** Installs (or reinstalls) a module package with the given id; configures it when asked. */
  installModule(module: string, id: number, safe: Buffer, configure: boolean, nodes: readonly string[]): Promise<CommandRun>;
}

/** Commands that make no sense remotely: following a log forever, or distributing again. */
const NOT_REMOTE = new Set(['logview', '-H', '-G', '-E', '--root', '-p', '--paths']);
const MAX_PACKAGE = 64 * 1024 * 1024;

const runSchema = {
  body: {
    type: 'object', required: ['argv'], additionalProperties: false,
    properties: { argv: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', maxLength: 4096 } } },
  },
} as const;
const clusterSchema = {
  body: { type: 'object', required: ['zip'], additionalProperties: false, properties: { zip: { type: 'string', maxLength: MAX_PACKAGE } } },
} as const;
const installSchema = {
  body: {
    type: 'object', required: ['module', 'id', 'safe', 'configure'], additionalProperties: false,
    properties: {
      nodes: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' } },
      module: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$' }, id: { type: 'integer', minimum: 1, maximum: 1000 },
      safe: { type: 'string', maxLength: MAX_PACKAGE }, configure: { type: 'boolean' },
    },
  },
} as const;

export function adminRoutes(app: FastifyInstance, view: AdminView): void {
  app.post<{ Body: { argv: string[] } }>('/api/v1/run', { schema: runSchema, bodyLimit: 1024 * 1024 }, async (req, reply) => {
    const refused = req.body.argv.find((a) => NOT_REMOTE.has(a));
    if (refused) return reply.code(400).send({ error: `"${refused}" cannot be run on another node`, hint: 'run it on that node itself' });
    return view.run(req.body.argv);
  });
  app.post<{ Body: { zip: string } }>('/api/v1/cluster/apply', { schema: clusterSchema, bodyLimit: MAX_PACKAGE * 2 }, async (req) => view.applyCluster(Buffer.from(req.body.zip, 'base64')));
  app.post('/api/v1/cluster/reload', async () => { view.reloadSoon(); return { ok: true }; });
  app.post<{ Body: { module: string; id: number; safe: string; configure: boolean; nodes?: string[] } }>('/api/v1/modules/install', { schema: installSchema, bodyLimit: MAX_PACKAGE * 2 },
    async (req) => view.installModule(req.body.module, req.body.id, Buffer.from(req.body.safe, 'base64'), req.body.configure, req.body.nodes ?? []));
}
