// The demo application: an HTTP service on the virtual IP that counts the requests it served and
// stores the count in a file of the replicated directory (fsync'd before the answer), answering
// "<node> <count>": after a failover the other node reads the count where the last answer left it.
const { createServer } = require('node:http');
const { closeSync, fsyncSync, openSync, readFileSync, writeSync } = require('node:fs');
const file = `${process.env.DATA_DIR}/count`;
let count = 0;
try { count = Number(readFileSync(file, 'utf8')) || 0; } catch { /* first run */ }
createServer((req, res) => {
  count++;
  const fd = openSync(file, 'w');
  writeSync(fd, String(count));
  fsyncSync(fd);
  closeSync(fd);
  res.end(`${process.env.TANDEM_NODE} ${count}\n`);
}).listen(Number(process.env.APP_PORT), process.env.VIRTUAL_IP);
