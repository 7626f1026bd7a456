// The client of the failover benchmark (BASELINES §1): a fresh TCP connection + HTTP GET to the
// VIP started every 10 ms, each with its own 200 ms timeout, overlapping. Prints one JSON line per
// attempt: [start, end, body | "timeout" | "ERRCODE"], times in epoch milliseconds (fractional).
import { connect } from 'node:net';

const [host, port, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const now = () => performance.timeOrigin + performance.now();
const start = now();
const pending = [];

function one() {
  return new Promise((resolve) => {
    const t0 = now();
    let body = '';
    let done = false;
    const finish = (result) => { if (done) return; done = true; socket.destroy(); clearTimeout(timer); process.stdout.write(`${JSON.stringify([t0, now(), result])}\n`); resolve(); };
    const socket = connect({ host, port });
    const timer = setTimeout(() => finish('timeout'), 200);
    socket.on('connect', () => socket.write('GET / HTTP/1.0\r\nHost: vip\r\n\r\n'));
    socket.on('data', (c) => { body += c; });
    socket.on('end', () => finish(body.split('\r\n\r\n')[1]?.trim().split(' ')[0] ?? 'empty'));
    socket.on('error', (e) => finish(e.code ?? 'error'));
  });
}

for (let k = 1; now() - start < seconds * 1000; k++) {
  pending.push(one());
  await new Promise((r) => setTimeout(r, Math.max(0, start + k * 10 - now())));
}
await Promise.all(pending);
