// Output helpers: every command prints text for people or, with --json, one JSON document.

export const EXIT = {
  ok: 0,
  /** The command ran and was refused or failed (e.g. prim while the peer is primary). */
  failed: 1,
  /** Invalid input: bad arguments, or a configuration with errors. */
  invalid: 2,
  /** The node daemon is not running or not reachable. */
  noDaemon: 3,
} as const;

export interface Output {
  readonly json: boolean;
}

export function emit(out: Output, json: unknown, text: () => string): void {
  process.stdout.write(out.json ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);
}

export function fail(out: Output, code: number, message: string, hint?: string): never {
  if (out.json) process.stdout.write(`${JSON.stringify({ ok: false, error: message, hint }, null, 2)}\n`);
  else process.stderr.write(`tandem: ${message}${hint ? `\n  ${hint}` : ''}\n`);
  process.exit(code);
}
