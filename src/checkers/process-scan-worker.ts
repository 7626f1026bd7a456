// Runs in a worker thread: reading /proc for every process takes 70–110 ms with 2 000 processes on
// these machines, and must not block the module's event loop, which receives and sends heartbeats.
// Each message asks for one scan; the answer is the list.

import { parentPort } from 'node:worker_threads';
import { listProcesses } from './errd.js';

parentPort?.on('message', () => parentPort!.postMessage(listProcesses()));
