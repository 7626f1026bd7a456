// Packs templates/{mirror,farm,customchecker} into dist/templates/*.safe, the packages
// `tandem module install -m mirror` installs when no file is given. Runs after tsc.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTree } from '../dist/src/catalog/files.js';
import { writeZip } from '../dist/src/catalog/zip.js';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(top, 'dist', 'templates');
mkdirSync(out, { recursive: true });
for (const name of readdirSync(join(top, 'templates'))) {
  const dir = join(top, 'templates', name);
  if (!statSync(dir).isDirectory()) continue;
  writeFileSync(join(out, `${name}.safe`), writeZip(readTree(dir)));
}
