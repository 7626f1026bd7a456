// Runs a batch of user scripts one after the other (the `runScripts` contract of
// src/core/actions.ts): each with SafeKit's arguments and environment, its output in a log file of
// its own (`userlog_<date>_<script>.ulog`), killed after the timeout. A script the module does not
// ship is skipped. A script may also be an absolute path (errd handlers). The batch succeeds when every script that ran exited 0.

import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, writeSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { ScriptCall } from '../core/actions.js';
import { openUserlog } from '../store/userlog.js';

export interface ScriptBatchOptions {
  readonly binDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where the per-run logs go; null when the module says logging="none". */
  readonly userlogDir: string | null;
  readonly timeoutMs: number;
  /** Called as each script starts (the module log's "Script NAME ARGS" line). */
  readonly onStart?: (call: ScriptCall) => void;
}

export interface ScriptOutcome { readonly script: string; readonly code: number | null; readonly timedOut: boolean }

export async function runScriptBatch(calls: readonly ScriptCall[], o: ScriptBatchOptions): Promise<ScriptOutcome[]> {
  const outcomes: ScriptOutcome[] = [];
  for (const call of calls) {
    const path = isAbsolute(call.script) ? call.script : join(o.binDir, call.script);
    if (!existsSync(path)) continue;
    try { accessSync(path, constants.X_OK); } catch { outcomes.push({ script: call.script, code: 126, timedOut: false }); continue; }
    o.onStart?.(call);
    outcomes.push(await runOne(path, call, o));
  }
  return outcomes;
}

function runOne(path: string, call: ScriptCall, o: ScriptBatchOptions): Promise<ScriptOutcome> {
  const log = o.userlogDir ? openUserlog(o.userlogDir, basename(call.script), Date.now()) : null;
  if (log) writeSync(log.fd, `${new Date().toISOString()} ${call.script} ${call.args.join(' ')}\n`);
  return new Promise((resolve) => {
    const out = log ? log.fd : 'ignore';
    const child = spawn(path, [...call.args], { env: o.env, cwd: o.binDir, stdio: ['ignore', out, out], detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, o.timeoutMs);
    let finished = false;
    const done = (code: number | null): void => {
      if (finished) return; // 'error' and 'exit' can both fire
      finished = true;
      clearTimeout(timer);
      if (log) {
        writeSync(log.fd, `${new Date().toISOString()} ${call.script} ${timedOut ? `killed after ${o.timeoutMs} ms` : `exit ${code}`}\n`);
        closeSync(log.fd);
      }
      resolve({ script: call.script, code, timedOut });
    };
    child.on('error', () => done(127));
    child.on('exit', (code) => done(code));
  });
}
