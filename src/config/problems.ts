// Configuration problems: every one names the file, line and column, what is wrong and what to do.

export interface Problem {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
  readonly hint?: string;
}

export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Collects problems for one file; parsing and validation never stop at the first one. */
export class ProblemList {
  readonly items: Problem[] = [];
  constructor(readonly file: string) {}

  error(at: Position, message: string, hint?: string): void {
    this.items.push({ severity: 'error', file: this.file, line: at.line, col: at.col, message, hint });
  }

  warning(at: Position, message: string, hint?: string): void {
    this.items.push({ severity: 'warning', file: this.file, line: at.line, col: at.col, message, hint });
  }

  get hasErrors(): boolean {
    return this.items.some((p) => p.severity === 'error');
  }
}

export function formatProblem(p: Problem): string {
  const head = `${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.message}`;
  return p.hint ? `${head}\n    fix: ${p.hint}` : head;
}
