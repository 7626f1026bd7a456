// Simulator, first half of the CI run's 10 000 schedules (the second half runs in parallel).
import { test } from 'node:test';
import { runRange } from './run-range.js';

test('simulator: schedules 1–5000 keep every invariant and settle after healing', () => runRange(1, 5000));
