import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createToken, TokenAuthenticator } from '../identity/index.js';
import type { Store } from '../store/index.js';

/**
 * The token of an in-process component of `stratus up` (the agent, the Ingress controller): kept
 * in `file` (mode 0600) and reused while the store still knows it, else created anew.
 */
export async function componentToken(
  store: Store,
  file: string,
  identity: { username: string; groups: string[]; description: string },
): Promise<string> {
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if ((await new TokenAuthenticator(store).authenticate(`Bearer ${token}`)) !== undefined) return token;
  }
  const { username, groups, description } = identity;
  const token = await createToken(store, { username, groups }, { description });
  writeFileSync(file, token, { mode: 0o600 });
  return token;
}
