import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from '../client/index.js';
import type { L7Driver } from '../network/index.js';
import { retireStoredToken } from './component-token.js';
import type { UpComponent } from './up.js';

/** Where the Ingress controller listens; 0 picks a free port. */
export interface IngressPorts {
  httpPort: number;
  httpsPort: number;
  /** Default: the server's `host` (127.0.0.1). */
  address?: string;
  /** The data plane; default the service proxy's (`--service-proxy`), else `node`. */
  l7?: L7Driver;
}

/** The ports `stratus up` uses by default: 80/443 when root, else 8080/8443. */
export function defaultIngressPorts(): IngressPorts {
  const root = process.getuid?.() === 0;
  return { httpPort: root ? 80 : 8080, httpsPort: root ? 443 : 8443 };
}

/**
 * The Ingress controller as a part of `stratus up`, when `options.ingress` names its ports:
 * Ingresses of IngressClasses whose controller is `stratus.dev/ingress-controller` (and, if one
 * such class is the default, Ingresses without a class), served on the server's address.
 */
export const ingressComponent: UpComponent = {
  name: 'ingress',
  async start({ server, dataDir, options }) {
    const ports = options.ingress;
    if (ports === undefined) return { lines: [], close: () => Promise.resolve() };
    const { IngressController } = await import('../ingress/index.js');
    const dir = join(dataDir, 'ingress');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Earlier versions kept a never-expiring token there.
    await retireStoredToken(server.store, join(dir, 'token'));
    const client = new KubeClient({
      server: server.httpUrl,
      // Its own identity: user system:stratus:ingress-controller, bound to the ClusterRole of that
      // name, with a loopback token only this process knows.
      token: server.loopbackToken({ username: 'system:stratus:ingress-controller', groups: [] }),
      namespace: 'default',
      contextName: 'ingress-controller',
    });
    try {
      const address = ports.address ?? options.host ?? '127.0.0.1';
      const controller = await IngressController.start({
        client,
        address,
        httpPort: ports.httpPort,
        httpsPort: ports.httpsPort,
        l7: ports.l7 ?? (options.serviceProxy === 'none' ? undefined : options.serviceProxy?.l7) ?? 'node',
        // Signed by the cluster CA (or the user's own), renewed with the API's and S3's.
        defaultCertificate: server.tls.pair('ingress'),
      });
      server.tls.onChange(() => controller.setDefaultCertificate(server.tls.pair('ingress')));
      return {
        lines: [
          `Ingress controller (class controller stratus.dev/ingress-controller) on http://${address}:${controller.httpPort} and https://${address}:${controller.httpsPort}`,
        ],
        close: async () => {
          await controller.close();
          await client.close();
        },
      };
    } catch (err) {
      await client.close();
      throw err;
    }
  },
};
