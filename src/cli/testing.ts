import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccessKey, parseCredentialsIni } from '../objectstore/s3/credentials.js';
import type { TestGateway } from '../objectstore/testing.js';
import { startCloud } from './up.js';

/**
 * `stratus up`'s S3 endpoint as a TestGateway, for the client tests (SDK, aws cli, rclone): the
 * cloud wired exactly as `up` wires it (API server, store, object store, gateway) on free ports
 * in a temp dir (S3 over HTTPS with the cluster CA, as `up` serves it), and the admin's key pair
 * read back from the credentials file `up` writes. What
 * those tests show is then what a user of `make up` gets. `close` stops it and removes the dir.
 */
export async function startUpGateway(): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-up-s3-'));
  const dataDir = join(dir, 'data');
  const cloud = await startCloud({ dataDir, apiPort: 0, s3Port: 0 }, []);
  const s3 = cloud.server.s3;
  try {
    if (s3 === undefined) throw new Error('stratus up started no S3 endpoint');
    const written = parseCredentialsIni(await readFile(s3.credentialsPath, 'utf8'));
    if (written.accessKeyId === undefined || written.secretAccessKey === undefined) {
      throw new Error(`no key pair in ${s3.credentialsPath}`);
    }
    const store = cloud.server.store;
    const ca = cloud.server.tls.trust?.pem;
    return {
      url: s3.url,
      ...(ca !== undefined ? { ca } : {}),
      dir: dataDir, // where up wrote s3-credentials and s3-config
      store,
      objectStore: s3.engine,
      key: { user: 'admin', accessKeyId: written.accessKeyId, secretAccessKey: written.secretAccessKey },
      createUser: (user) => createAccessKey(store, user),
      close: async () => {
        await cloud.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
export { collect, MAIN_JS } from './cli-harness.js';
