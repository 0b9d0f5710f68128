import type { KubeObject } from '../common/kube-object.js';

/**
 * Called once a write's fate is known: `stored` is true when the object reached the store
 * (never for a dry run), false when anything failed after the hook began.
 */
export type HookFinish = (stored: boolean) => void;

/**
 * A kind's registry step between defaulting and validation, as kube-apiserver's
 * BeginCreate/BeginUpdate hooks (not admission, which checks the validated object after): it
 * may fill in fields (a Service's cluster IP and node ports) and reserve what they take, then
 * commit or revert through the returned finish. It throws an ApiError to refuse the write. It
 * may change `object` (a private copy) but never `old` or anything `object` shares with it.
 */
export interface RegistryHook {
  beginCreate(object: KubeObject, options: { dryRun: boolean }): Promise<HookFinish>;
  beginUpdate(object: KubeObject, old: KubeObject, options: { dryRun: boolean }): Promise<HookFinish>;
}

/** The hooks by store key (`services`). */
export type RegistryHooks = ReadonlyMap<string, RegistryHook>;
