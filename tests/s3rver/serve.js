// Starts s3rver for the tests (and a local cluster) on 127.0.0.1, with the buckets named on the command
// line, and prints "listening PORT" once it answers. It stops when its standard input closes, so a test
// process that dies (however it dies) takes its server with it.
//   node serve.js DATA_DIR PORT BUCKET...   (PORT 0: any free port)
'use strict';
const S3rver = require('s3rver');

const [directory, port, ...buckets] = process.argv.slice(2);
if (!directory || port === undefined) {
  console.error('usage: node serve.js DATA_DIR PORT BUCKET...');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  configureBuckets: buckets.map(name => ({ name, configs: [] })),
});
server.run().then(
  addr => console.log(`listening ${addr.port}`),
  err => { console.error(`s3rver failed to start: ${err.message}`); process.exit(1); });
const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
