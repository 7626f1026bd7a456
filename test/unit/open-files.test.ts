// Open files under the replicated directories (the secondary's check before a resynchronisation):
// another process holding a file is named with its pid and command; this process's own files and
// paths that merely share the prefix are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFilesUnder } from '../../src/replication/open-files.js';

test('a process holding a file open in the directory is named; our own descriptors and a sibling directory are not', async () => {
  const base = fs.mkdtempSync(join(tmpdir(), 'tandem-open-'));
  const dir = join(base, 'data');
  fs.mkdirSync(dir);
  fs.mkdirSync(`${dir}-other`);
  fs.writeFileSync(join(dir, 'held'), 'x');
  fs.writeFileSync(`${dir}-other/file`, 'x');
  const mine = fs.openSync(join(dir, 'held'), 'r');
  const holder = spawn('sh', ['-c', `exec 3< ${dir}-other/file 4< ${dir}/held; read line`], { stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    let found = openFilesUnder([dir]);
    for (let i = 0; i < 100 && found.length === 0; i++) { await new Promise((r) => setTimeout(r, 20)); found = openFilesUnder([dir]); }
    assert.deepEqual(found, [{ pid: holder.pid, command: 'sh', path: join(dir, 'held') }], 'only the other process: our own descriptor does not count');
  } finally {
    holder.stdin!.end('\n');
    await new Promise((r) => holder.on('exit', r));
    fs.closeSync(mine);
    fs.rmSync(base, { recursive: true, force: true });
  }
  assert.deepEqual(openFilesUnder([dir]), [], 'once it exited: nothing');
});
