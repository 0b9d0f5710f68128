/**
 * Test support: the real `process` runtime with each container started inside its pod's network
 * sandbox (`ip netns exec`), so the agent's pod-network wiring (sandboxes, pod addresses, DNS,
 * Services from pods) is tested end to end without runc. The runc runtime joins the same
 * namespace itself and bind-mounts the sandbox's files.
 */
import { basename } from 'node:path';
import { ProcessRuntime } from '../../runtime/index.js';
import type { ContainerSpec } from '../../runtime/index.js';

/** See the file comment. */
export class NetnsProcessRuntime extends ProcessRuntime {
  readonly needsSandbox = true;

  override start(spec: ContainerSpec): Promise<string> {
    if (spec.sandbox === undefined) throw new RangeError(`container ${spec.containerName} has no sandbox`);
    const netns = basename(spec.sandbox.netnsPath);
    return super.start({ ...spec, command: ['ip', 'netns', 'exec', netns, ...spec.command] });
  }
}
