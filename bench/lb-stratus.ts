/**
 * A Stratus data plane as a child process of the load-balancer benchmark, so that its CPU and
 * memory are its own: `node dist/bench/lb-stratus.js DRIVER HTTP_PORT TCP_PORT UP1 UP2` where
 * DRIVER is `node` (worker threads), `node1` (one thread: two of these are the "two processes"
 * alternative measured against threads), `haproxy`, or `nftables` (the TCP listener as kernel
 * DNAT rules in table `stratus-bench-lb`; root and nft needed). SIGUSR2 applies a change (below). It prints "ready" once listening and
 * exits on SIGTERM.
 */
import { HaproxyDataPlane } from '../src/network/haproxy/haproxy-data-plane.js';
import { NodeDataPlane } from '../src/network/node/node-data-plane.js';
import { createProxy, type ListenerConfig } from '../src/network/index.js';

const [driver, httpPort, tcpPort, up1, up2] = process.argv.slice(2);
const endpoints = [up1, up2].map((p, i) => ({ id: `u${i}`, address: '127.0.0.1', port: Number(p) }));
const listeners: ListenerConfig[] = [
  { name: 'bench/http', address: '127.0.0.1', port: Number(httpPort), protocol: 'http', endpoints },
];
if (driver !== 'haproxy') {
  listeners.push({
    name: 'bench/tcp',
    address: '127.0.0.1',
    port: Number(tcpPort),
    protocol: 'tcp',
    endpoints,
  });
}
const plane =
  driver === 'haproxy'
    ? await HaproxyDataPlane.start({ threads: 2 })
    : driver === 'nftables'
      ? await createProxy({ l4: 'nftables', nftTable: 'stratus-bench-lb', threads: 1 })
      : await NodeDataPlane.start({ threads: driver === 'node1' ? 1 : 2 });
await plane.apply({ listeners });
// SIGUSR2 is a change as a rollout makes it: the first upstream leaves (drained) or comes back,
// and the HTTP listener's connect timeout changes, which the haproxy driver applies by a reload.
let changes = 0;
process.on('SIGUSR2', () => {
  changes++;
  const http = listeners[0] as ListenerConfig;
  const changed: ListenerConfig = {
    ...http,
    connectTimeoutMs: 5000 + (changes % 2),
    endpoints: endpoints.map((e, i) =>
      i === 0 && changes % 2 === 1 ? { ...e, ready: false, terminating: true } : e,
    ),
  };
  void plane.apply({ listeners: [changed, ...listeners.slice(1)] }).catch((err: Error) => {
    console.error(`change ${changes}: ${err.message}`);
    process.exit(1);
  });
});
console.log('ready');
process.on('SIGTERM', () => void plane.close().then(() => process.exit(0)));
