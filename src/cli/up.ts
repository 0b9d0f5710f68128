import { resolve } from 'node:path';
import type { AgentPodNetworkOptions } from '../agent/index.js';
import type { L4Mode, L7Driver } from '../network/index.js';
import { defaultL7Driver } from './commands/service-proxy-flag.js';
import { startServer, type RunningServer, type ServerOptions } from './server.js';
import { agentComponent } from './up-agent.js';
import { ingressComponent, type IngressPorts } from './up-ingress.js';

/**
 * Where and how `stratus up` runs: the server role's options (ports, store, storage devices),
 * with the data directory defaulting to `./.stratus` and the API port to 6443.
 */
export type UpOptions = Omit<ServerOptions, 'dataDir'> & {
  dataDir?: string;
  /**
   * The Ingress controller's ports (`--ingress-http-port`, `--ingress-https-port`); unset, no
   * Ingress controller runs. The CLI's `up` passes 80/443 when root, else 8080/8443.
   */
  ingress?: IngressPorts;
  /**
   * The agent's service proxy (its L7 driver and L4 mode), or `none`; default userspace L4 and,
   * for an unset driver, `haproxy` when HAProxy 2.6+ is installed, else `node` (said once
   * through `onNotice`; `defaultL7Driver`).
   */
  serviceProxy?: { l7?: L7Driver; l4?: L4Mode } | 'none';
  /** The runtime of pods that name no RuntimeClass (`--default-runtime`); default `process`. */
  defaultRuntime?: 'process' | 'runc';
  /**
   * The agent's pod network (its own address per pod, cluster DNS), which runc pods join; the
   * CLI's `up` gives one with `--default-runtime runc`. Unset: none, runc pods share the host's network.
   */
  podNetwork?: AgentPodNetworkOptions;
  /** How often the agent samples pods' and the node's CPU and memory (`--metric-resolution`); default the agent's 15 s. */
  metricsIntervalMs?: number;
};

/**
 * A part that joins the one-process cloud after the API server is up: the node agent, the S3
 * gateway, the dashboard. It gets the running server (URL, admin token, store) and returns the
 * lines to print (where it listens) and how to stop it.
 */
export interface UpComponent {
  name: string;
  start(cloud: {
    server: RunningServer;
    dataDir: string;
    options: UpOptions;
  }): Promise<{ lines: string[]; close(): Promise<void> }>;
}

/** The parts `stratus up` starts besides the API server. The agent and S3 gateway plug in here. */
export const UP_COMPONENTS: readonly UpComponent[] = [agentComponent, ingressComponent];

/** A running one-machine cloud. */
export interface RunningCloud {
  server: RunningServer;
  dataDir: string;
  /** What to tell the user: where each part listens, and how to use the kubeconfig. */
  lines: string[];
  /** Stops the components in reverse order, then the server. */
  close(): Promise<void>;
}

/**
 * The composition root of `stratus up` (and, with no components, `stratus server`): starts the
 * API server, then each component in order; if one fails, stops what started and rethrows.
 */
export async function startCloud(
  options: UpOptions = {},
  components: readonly UpComponent[] = UP_COMPONENTS,
): Promise<RunningCloud> {
  const dataDir = resolve(options.dataDir ?? '.stratus');
  // The driver is chosen once, before the server starts, so the agent's service proxy and the
  // Ingress controller use the same one.
  const usesProxy = components.some((c) => c.name === 'agent' || c.name === 'ingress');
  if (usesProxy && options.serviceProxy !== 'none' && options.serviceProxy?.l7 === undefined) {
    const chosen = await defaultL7Driver();
    if (chosen.notice !== undefined)
      (options.onNotice ?? ((l: string) => process.stderr.write(`${l}\n`)))(chosen.notice);
    options = { ...options, serviceProxy: { ...options.serviceProxy, l7: chosen.l7 } };
  }
  const server = await startServer({ ...options, dataDir, apiPort: options.apiPort ?? 6443 });
  const started: Array<{ close(): Promise<void> }> = [];
  const ca = server.caCertPath;
  const lines = [
    `API server listening on ${server.apiUrl}`,
    `kubeconfig: ${server.kubeconfigPath}`,
    ...(ca !== undefined ? [`CA certificate: ${ca}`] : []),
    ...(server.cluster
      ? [
          `etcd member ${server.cluster.memberName} at ${server.cluster.etcdClientUrl}`,
          `Join another server: stratus server --join ${server.apiUrl} --token "$(cat ${server.cluster.tokenPath})"`,
        ]
      : []),
    ...(server.s3
      ? [
          `S3 endpoint: ${server.s3.url}`,
          `S3 credentials: ${server.s3.credentialsPath} (aws-cli format; config: ${server.s3.configPath})`,
        ]
      : []),
  ];
  const close = async (): Promise<void> => {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
    await server.close();
  };
  try {
    for (const component of components) {
      const running = await component.start({ server, dataDir, options });
      started.push(running);
      lines.push(...running.lines);
    }
  } catch (err) {
    await close();
    throw err;
  }
  lines.push(
    '',
    'Use it with kubectl or stratus:',
    `  export KUBECONFIG=${server.kubeconfigPath}`,
    '  kubectl get all',
    '  stratus apply -f examples/',
  );
  if (server.s3) {
    const https = server.s3.url.startsWith('https:') && ca !== undefined;
    lines.push(
      '',
      'and with the aws cli or an AWS SDK:',
      `  export AWS_SHARED_CREDENTIALS_FILE=${server.s3.credentialsPath} AWS_CONFIG_FILE=${server.s3.configPath}`,
      ...(https ? [`  export AWS_CA_BUNDLE=${ca}`] : []),
      `  aws --endpoint-url ${server.s3.url} s3 ls`,
    );
  }
  return { server, dataDir, lines, close };
}
