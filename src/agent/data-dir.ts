import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { agentDataDirForeign } from './errors.js';

/**
 * Makes `dir` the agent's own: creates it, refuses it when another user owns it (that user could
 * replace the files the agent reads and runs, such as container records, or plant symlinks it
 * writes through), and makes it private (mode 0700, also when it existed with a wider mode).
 */
export function claimDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const self = process.getuid?.();
  const owner = statSync(dir).uid;
  if (self !== undefined && owner !== self) throw agentDataDirForeign(dir, owner, self);
  chmodSync(dir, 0o700);
}
