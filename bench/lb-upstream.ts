/**
 * An upstream of the load-balancer benchmark: `node dist/bench/lb-upstream.js PORT` answers
 * every request with a 2-byte body, keeps idle connections 65 s (longer than every proxy's
 * idle pool, so no proxy races a close), and prints "ready".
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
  res.end('ok');
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
