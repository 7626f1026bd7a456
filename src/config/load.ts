// The only file of src/config that touches the disk: read configuration files and hand their text
// to the pure parsers.

import { readFileSync } from 'node:fs';
import { parseClusterXml, type ClusterResult } from './cluster.js';
import { parseUserConfig, type ModuleCheckOptions, type ModuleResult } from './userconfig.js';
import { ProblemList } from './problems.js';

function readText(file: string): { text: string } | { problems: ProblemList } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (e) {
    const problems = new ProblemList(file);
    problems.error({ line: 0, col: 0 }, `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the path and the permissions');
    return { problems };
  }
}

export function loadCluster(file: string): ClusterResult {
  const r = readText(file);
  return 'text' in r ? parseClusterXml(r.text, file) : { config: null, problems: r.problems };
}

export function loadUserConfig(file: string, options: ModuleCheckOptions = {}): ModuleResult {
  const r = readText(file);
  return 'text' in r ? parseUserConfig(r.text, file, options) : { config: null, problems: r.problems };
}
