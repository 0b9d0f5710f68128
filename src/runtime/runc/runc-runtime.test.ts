import { after } from 'node:test';
import { runtimeContract } from '../runtime-contract.js';
import { buildHostImage, type HostImage } from '../testing/host-image.js';
import { runcMissing } from '../testing/runc-testing.js';
import { RuncRuntime } from './runc-runtime.js';

// The shared contract on real runc: containers get the host-built image (busybox + the host's
// node at the same path) as the runtime's default image, since the contract's specs name none.
const missing = runcMissing();
if (missing !== undefined && process.env['CI'] === 'true') throw new Error(`the runc contract ${missing}`);
if (missing !== undefined) process.stderr.write(`skipping the runc runtime contract: ${missing}\n`);
let image: HostImage | undefined;
after(() => image?.close());

runtimeContract(
  'runc',
  (dataDir) => {
    image ??= buildHostImage();
    return new RuncRuntime({ dataDir, defaultImage: image.image });
  },
  { skip: missing },
);
