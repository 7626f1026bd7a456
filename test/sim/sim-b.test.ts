// Simulator, second half of the CI run's 10 000 schedules.
import { test } from 'node:test';
import { runRange } from './run-range.js';

test('simulator: schedules 5001–10000 keep every invariant and settle after healing', () => runRange(5001, 5000));
