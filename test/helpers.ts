// Small helpers the tests share: run the built CLI, and wait for a condition with a deadline.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

/** Runs `tandem ARGS…` from the build, with TANDEM_ROOT cleared so only --root counts. */
export function runTandem(args: readonly string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { encoding: 'utf8', env: { ...process.env, TANDEM_ROOT: '', ...env } });
}

/** Polls `check` until it holds; fails naming `what` after `ms`. */
export async function until(what: string, check: () => boolean, ms = 8000, everyMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
