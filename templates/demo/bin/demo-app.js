// The demo application: an HTTP service on the virtual IP that counts the requests it served and
// stores the count in a file, answering "<node> <count>".
const { createServer } = require('node:http');
const { readFileSync, writeFileSync } = require('node:fs');
const file = `${process.env.SAFEUSERVAR}/count`;
let count = 0;
try { count = Number(readFileSync(file, 'utf8')) || 0; } catch { /* first run */ }
createServer((req, res) => {
  count++;
  writeFileSync(file, String(count));
  res.end(`${process.env.TANDEM_NODE} ${count}\n`);
}).listen(Number(process.env.APP_PORT), process.env.VIRTUAL_IP);
