// A directory tree as comparable lines, for tests that check two copies are the same.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';

/** Every entry of a tree: type, mode, owner, size, content hash or link target (and mtime when set by hand). */
export function treeOf(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(join(root, r));
      const what = st.isSymbolicLink() ? `-> ${fs.readlinkSync(join(root, r))}`
        : st.isDirectory() ? 'dir' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? `char ${st.rdev}` : createHash('sha256').update(fs.readFileSync(join(root, r))).digest('hex').slice(0, 16);
      out.push(`${r} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isDirectory() ? '' : st.size} ${what}${r === 'big.bin' ? ` ${Math.round(st.mtimeMs)}` : ''}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}
