import type { ImageStore } from '../../images/index.js';
import type { CommandContext, FlagValues } from '../command.js';
import { UsageError } from '../errors.js';

/** The usage lines of the registry verbs. */
export const REGISTRY_USAGE = '';

/** `stratus image pull REF`. */
export function pullVerb(
  _ctx: CommandContext,
  _values: FlagValues,
  _store: ImageStore,
  _args: string[],
): Promise<number> {
  return Promise.reject(new UsageError('image pull is not implemented yet', 'image'));
}

/** `stratus image push REF`. */
export function pushVerb(
  _ctx: CommandContext,
  _values: FlagValues,
  _store: ImageStore,
  _args: string[],
): Promise<number> {
  return Promise.reject(new UsageError('image push is not implemented yet', 'image'));
}

/** `stratus image login REGISTRY`. */
export function loginVerb(_ctx: CommandContext, _values: FlagValues, _args: string[]): Promise<number> {
  return Promise.reject(new UsageError('image login is not implemented yet', 'image'));
}
