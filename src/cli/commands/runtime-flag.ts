import { flagString, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';

/** `--default-runtime`, shared by `stratus agent` and `stratus up`. */
export const RUNTIME_OPTIONS = { 'default-runtime': { type: 'string' } } as const;

/** The flag's help text. */
export const RUNTIME_USAGE = `  --default-runtime process|runc
                   the runtime of pods that name no RuntimeClass (default: process);
                   runc (OCI containers) is offered as RuntimeClass runc whenever the
                   agent is root with runc and tini-static installed; with runc the
                   agent runs the pod network (each pod its own address on bridge
                   stratus0, cluster DNS), else runc pods share the host's network`;

/** The parsed `--default-runtime`, or undefined when not given. */
export function defaultRuntimeFlag(values: FlagValues, command: string): 'process' | 'runc' | undefined {
  const v = flagString(values, 'default-runtime');
  if (v === undefined || v === 'process' || v === 'runc') return v;
  throw new UsageError(`--default-runtime must be process or runc, not "${v}"`, command);
}

/**
 * The agent's pod network for `--default-runtime runc`: Services' ClusterIPs are routed from pods
 * through the bridge, so the pods' routes follow `--service-cluster-ip-range` when it is given.
 */
export function podNetworkFor(values: FlagValues): { serviceCidrs?: string[] } {
  const range = flagString(values, 'service-cluster-ip-range');
  return range === undefined ? {} : { serviceCidrs: [range] };
}
