import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hashToken, TOKEN_NAMESPACE, tokenSecretName } from '../identity/index.js';
import type { Store } from '../store/index.js';

/**
 * Earlier versions kept a never-expiring token for each in-process component of `stratus up`
 * (the agent, the Ingress controller) in a file of its data folder; the components now use
 * loopback tokens (`RunningServer.loopbackToken`), so a stored one is revoked and its file
 * removed.
 */
export async function retireStoredToken(store: Store, file: string): Promise<void> {
  if (!existsSync(file)) return;
  const name = tokenSecretName(hashToken(readFileSync(file, 'utf8').trim()));
  await store.delete('secrets', TOKEN_NAMESPACE, name).catch(() => undefined);
  rmSync(file, { force: true });
}
