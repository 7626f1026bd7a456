// The network round trip between two lab nodes over a plain TCP connection, the "direct
// connection" baseline of the replication benchmark: the issue's fsync target is stated against it
// (p50 ≤ 2 × RTT + 300 µs over direct). One 64-byte message outstanding at a time, Nagle off, as
// the replication stream sends a small change. Printing one JSON line:
//
//   node rtt.js echo ADDRESS PORT         answer every message with itself (until killed)
//   node rtt.js ping ADDRESS PORT COUNT   send COUNT messages, one at a time: round trip p50/p99 µs
//
// Measured in Node on purpose: the same runtime, event loop and wake-ups the replicator pays, so
// the difference to the replicated fsync is what replication adds, not what Node costs.
import * as net from 'node:net';
import { percentile } from './measure.js';

const [mode, address, portArg, countArg] = process.argv.slice(2);
const port = Number(portArg);
const MESSAGE = 64;

function echo(): void {
  net.createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); s.on('error', () => s.destroy()); })
    .listen(port, address);
}

function ping(count: number): void {
  const s = net.connect({ host: address, port }, () => {
    s.setNoDelay(true);
    const us: number[] = [];
    const message = Buffer.alloc(MESSAGE, 0x72);
    let got = 0;
    let sentAt = process.hrtime.bigint();
    const send = () => { sentAt = process.hrtime.bigint(); s.write(message); };
    s.on('data', (d) => {
      got += d.length;
      if (got < MESSAGE) return; // one message is outstanding: it may arrive in pieces
      got -= MESSAGE;
      us.push(Number(process.hrtime.bigint() - sentAt) / 1000);
      if (us.length < count) { send(); return; }
      s.end();
      const sorted = us.slice(100).sort((a, b) => a - b); // the first hundred warm the connection up
      console.log(JSON.stringify({ roundTrips: sorted.length, p50us: Math.round(percentile(sorted, 50)), p99us: Math.round(percentile(sorted, 99)) }));
    });
    send();
  });
  s.on('error', (e) => { console.error(`rtt: ${address}:${port}: ${e.message}`); process.exit(1); });
}

if (mode === 'echo' && port > 0) echo();
else if (mode === 'ping' && port > 0 && Number(countArg) > 100) ping(Number(countArg));
else {
  console.error('usage: node rtt.js echo ADDRESS PORT | ping ADDRESS PORT COUNT (COUNT > 100)');
  process.exit(2);
}
