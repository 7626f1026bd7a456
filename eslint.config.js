// Lint rules that carry architecture, not taste: the layering of DESIGN §3 and the purity of the
// core (DESIGN §4). A violation here is a design bug, so the lint runs inside `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'fs/promises', 'net', 'dgram', 'child_process', 'worker_threads', 'os', 'tls',
  'http', 'https', 'http2', 'cluster', 'dns', 'readline', 'process', 'crypto', 'perf_hooks', 'timers',
  'timers/promises', 'better-sqlite3'];
const nodeIoPaths = nodeIo.flatMap((m) => [m, `node:${m}`]).map((name) => ({
  name, message: 'src/core is pure: no I/O, clock, timers or randomness (DESIGN §4). Pass data in through events.',
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // plain Node scripts (benchmark client and runner)
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
  },
  {
    // shared: the bottom layer imports nothing of ours.
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '^\\.\\./', message: 'src/shared imports nothing else of tandem.' },
        { regex: '^[^.]', message: 'src/shared imports no packages.' },
      ] }],
    },
  },
  {
    // core: imports only shared; no clock, timer, random or I/O.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeIoPaths,
        patterns: [
          {
            regex: '^(\\.\\./)+(config|store|cli|module|daemon|api|net|protocol|replication|checkers|vip|scripts|web|test|bench)(/|$)',
            message: 'src/core imports only src/shared (DESIGN §3).',
          },
          { regex: '^[^.]', message: 'src/core imports no packages: only src/shared and itself (DESIGN §3).' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Time is an input of the core: use the `now` carried by events.' },
        { name: 'setInterval', message: 'Time is an input of the core: use the `now` carried by events.' },
        { name: 'setImmediate', message: 'The core is synchronous.' },
        { name: 'queueMicrotask', message: 'The core is synchronous.' },
        { name: 'performance', message: 'Time is an input of the core.' },
        { name: 'process', message: 'The core does no I/O and reads no environment.' },
        { name: 'fetch', message: 'The core does no I/O.' },
        { name: 'require', message: 'The core does no I/O.' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Time is an input of the core.' },
        { object: 'Math', property: 'random', message: 'Randomness is an input of the core (seeded Rng).' },
        { object: 'crypto', property: 'randomUUID', message: 'Randomness is an input of the core.' },
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date']", message: 'Time is an input of the core.' },
        { selector: 'ImportExpression', message: 'The core loads nothing at run time.' },
      ],
    },
  },
  {
    // config is pure too: validation never depends on the host it runs on (files are read by callers).
    files: ['src/config/**/*.ts'],
    ignores: ['src/config/load.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: nodeIoPaths.filter((p) => !p.name.includes('crypto')).map((p) => ({ ...p, message: 'src/config is pure except load.ts: validation never depends on the host.' })) }],
    },
  },
);
