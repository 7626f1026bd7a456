// Data-driven scenario files (the etcd-io/raft testdata style): each block is one or more command
// lines, a line "----", then the expected output up to a blank line. Running a file executes the
// commands and compares the output; with UPDATE_GOLDEN=1 the file is rewritten with what ran.

export interface Block {
  readonly commands: readonly string[];
  readonly expected: readonly string[];
  /** 1-based line of the first command, for error messages. */
  readonly line: number;
}

export function parseBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    while (i < lines.length && (lines[i].trim() === '' || lines[i].startsWith('#'))) i++;
    if (i >= lines.length) break;
    const line = i + 1;
    const commands: string[] = [];
    while (i < lines.length && lines[i] !== '----') {
      if (lines[i].trim() !== '' && !lines[i].startsWith('#')) commands.push(lines[i].trim());
      i++;
    }
    if (i >= lines.length) throw new Error(`line ${line}: commands without a "----" line`);
    i++; // ----
    const expected: string[] = [];
    while (i < lines.length && lines[i] !== '') expected.push(lines[i++]);
    blocks.push({ commands, expected, line });
  }
  return blocks;
}

/** Rewrites a file's expectations, keeping its comments before each block. */
export function renderBlocks(text: string, actual: readonly (readonly string[])[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let i = 0;
  let k = 0;
  while (i < lines.length) {
    if (lines[i].trim() === '' || lines[i].startsWith('#')) { out.push(lines[i]); i++; continue; }
    while (i < lines.length && lines[i] !== '----') out.push(lines[i++]);
    out.push('----');
    i++;
    while (i < lines.length && lines[i] !== '') i++;
    out.push(...(actual[k++] ?? []));
    if (i < lines.length) { out.push(''); i++; }
  }
  return out.join('\n').replace(/\n*$/, '\n');
}
