// The demo's client (runs in the client namespace): a request to the virtual IP every 10 ms for
// DURATION seconds, printing who answers and, when the answers stop and come back, how long the
// service was interrupted (from the last answer before the gap to the first one after it).
import { request } from 'node:http';

const [vip, port, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 15)];
const end = Date.now() + seconds * 1000;
let lastOk = 0;
let lastBy = '';
let failing = false;
let answered = 0;

function once() {
  return new Promise((resolve) => {
    const req = request({ host: vip, port, path: '/', timeout: 200, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
    req.end();
  });
}

while (Date.now() < end) {
  const started = Date.now();
  const answer = await once();
  const now = Date.now();
  if (answer) {
    answered++;
    const [by, count] = answer.split(' ');
    if (failing) console.log(`client: ${by} answers again (request #${count}); service interrupted for ${now - lastOk} ms`);
    else if (by !== lastBy) console.log(`client: ${by} answers (request #${count} it served)`);
    failing = false;
    lastOk = now;
    lastBy = by;
  } else if (!failing && lastOk) {
    failing = true;
    console.log(`client: no answer from ${vip}:${port} (last answer ${now - lastOk} ms ago)`);
  }
  await new Promise((r) => setTimeout(r, Math.max(0, 10 - (Date.now() - started))));
}
console.log(`client: ${answered} answered requests in ${seconds} s`);
