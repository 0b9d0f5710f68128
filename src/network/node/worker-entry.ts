/**
 * A worker thread of the node data plane: an Engine driven by messages from the main thread
 * (see node-data-plane.ts for the protocol).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Engine, type EngineOptions, type ThreadListener } from './engine.js';

/** Messages from the main thread. */
export type ToWorker =
  | { type: 'apply'; seq: number; listeners: ThreadListener[] }
  | { type: 'health'; listener: string; id: string; healthy: boolean }
  | { type: 'eject'; listener: string; id: string; until: number }
  | { type: 'stats'; seq: number }
  | { type: 'close'; seq: number };

/** Messages to the main thread. */
export type FromWorker =
  | { type: 'done'; seq: number; error?: string; result?: unknown }
  | { type: 'eject'; listener: string; id: string; until: number };

const port = parentPort;
if (port !== null) {
  const options = workerData as Omit<EngineOptions, 'onEject'>;
  const post = (m: FromWorker): void => port.postMessage(m);
  const engine = new Engine({
    ...options,
    onEject: (listener, id, until) => post({ type: 'eject', listener, id, until }),
  });
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'apply':
        engine.apply(m.listeners).then(
          (result) => post({ type: 'done', seq: m.seq, result }),
          (err: Error) => post({ type: 'done', seq: m.seq, error: err.message }),
        );
        break;
      case 'health':
        engine.setHealthy(m.listener, m.id, m.healthy);
        break;
      case 'eject':
        engine.eject(m.listener, m.id, m.until);
        break;
      case 'stats':
        post({ type: 'done', seq: m.seq, result: engine.snapshot() });
        break;
      case 'close':
        void engine.close().then(() => {
          post({ type: 'done', seq: m.seq });
          port.close();
        });
        break;
    }
  });
}
