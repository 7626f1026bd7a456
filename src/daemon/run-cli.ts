// Runs the tandem CLI on this node for the admin routes (distributed commands): same root, same
// node name, output captured, bounded in time.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommandRun } from '../api/admin-routes.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const TIMEOUT_MS = 300_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

export function runCli(root: string, node: string, argv: readonly string[]): Promise<CommandRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--root', root, ...argv], { env: { ...process.env, TANDEM_NODE: node, TANDEM_ROOT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { if (stdout.length < MAX_OUTPUT) stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { if (stderr.length < MAX_OUTPUT) stderr += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr: signal ? `${stderr}tandem: killed after ${TIMEOUT_MS / 1000} s\n` : stderr });
    });
  });
}
