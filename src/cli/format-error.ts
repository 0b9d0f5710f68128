import { StatusError } from '../client/index.js';
import { StratusError } from '../common/stratus-error.js';
import { UsageError } from './errors.js';

/** One line (two for usage errors) describing an error, as kubectl words them. */
export function formatError(err: unknown): string {
  if (err instanceof StatusError) return `Error from server (${err.reason}): ${err.message}\n`;
  if (err instanceof UsageError) {
    const see = err.command ? `stratus help ${err.command}` : 'stratus --help';
    return `error: ${err.message}\nSee '${see}' for usage.\n`;
  }
  if (err instanceof StratusError) return `error: ${err.message}\n`;
  return `error: ${err instanceof Error ? err.message : String(err)}\n`;
}
