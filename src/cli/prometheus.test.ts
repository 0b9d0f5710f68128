import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent as HttpsAgent, request } from 'node:https';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { KubeClient } from '../client/index.js';
import { sdkClient } from '../objectstore/testing.js';
import { startCloud, type RunningCloud } from './up.js';
import { agentComponent } from './up-agent.js';
import { freePort } from '../common/free-port.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const missing = [PROMETHEUS, PROMTOOL].filter((p) => !existsSync(p));
if (missing.length > 0 && process.env['CI'] === 'true')
  throw new Error(`Debian's prometheus is required under CI (${missing.join(', ')} missing)`);
const skip = missing.length > 0 ? `Debian's prometheus is not installed (${missing.join(', ')})` : false;

/** GETs an https URL of the cloud with a bearer token and the cluster CA: status and text. */
function get(url: string, token: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { headers: { authorization: `Bearer ${token}` }, agent: new HttpsAgent({ ca }) },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` every 250 ms for at most 90 s; returns its first truthy value. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 90_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last) ?? String(last)}`);
}

describe('Prometheus scrapes the cloud', { skip }, () => {
  let dir: string;
  let cloud: RunningCloud;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let token: string;
  let ca: string;
  let admin: KubeClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-prometheus-'));
    cloud = await startCloud(
      { dataDir: join(dir, 'data'), apiPort: 0, s3Port: 0, serviceProxy: 'none', controllers: true },
      [agentComponent],
    );
    ca = await readFile(cloud.server.caCertPath ?? '', 'utf8');
    admin = new KubeClient({
      server: cloud.server.httpUrl,
      token: cloud.server.adminToken,
      namespace: 'default',
      contextName: 'admin',
    });
    // Prometheus' identity: a ServiceAccount bound to system:monitoring, with a TokenRequest token.
    await admin.create('serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'prometheus', namespace: 'default' },
    });
    await admin.create('clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'prometheus' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:monitoring' },
      subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'default' }],
    });
    const made = await admin.request<{ status: { token: string } }>(
      'POST',
      '/api/v1/namespaces/default/serviceaccounts/prometheus/token',
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600 },
        },
      },
    );
    token = made.body.status.token;
    await writeFile(join(dir, 'token'), token, { mode: 0o600 });
    const api = new URL(cloud.server.apiUrl);
    const job = (name: string, path: string): string =>
      `  - job_name: ${name}\n    scheme: https\n    metrics_path: ${path}\n` +
      `    authorization: { credentials_file: ${join(dir, 'token')} }\n` +
      `    tls_config: { ca_file: ${cloud.server.caCertPath ?? ''} }\n` +
      `    static_configs: [{ targets: ['${api.host}'] }]\n`;
    await writeFile(
      join(dir, 'prometheus.yml'),
      'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }\nscrape_configs:\n' +
        job('apiserver', '/metrics') +
        job('objects', '/metrics/objects') +
        job('nodes', `/api/v1/nodes/${hostname().toLowerCase()}/proxy/metrics`),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
  });

  after(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus?.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await admin?.close();
    await cloud?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const query = async (
    promql: string,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const res = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`);
    const body = (await res.json()) as {
      data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
    };
    return body.data?.result ?? [];
  };

  it('every target is up, and a PromQL rate over API requests has a value', async () => {
    // Some S3 traffic, so the gateway's series exist.
    const s3 = cloud.server.s3;
    assert.ok(s3);
    const creds = await readFile(s3.credentialsPath, 'utf8');
    const value = (k: string): string => new RegExp(`${k}\\s*=\\s*(\\S+)`).exec(creds)?.[1] ?? '';
    const client = sdkClient(
      s3.url,
      { accessKeyId: value('aws_access_key_id'), secretAccessKey: value('aws_secret_access_key') },
      { ca },
    );
    await client.send(new CreateBucketCommand({ Bucket: 'scraped' }));
    await client.send(new PutObjectCommand({ Bucket: 'scraped', Key: 'k', Body: 'x'.repeat(1000) }));
    client.destroy();

    const up = await eventually('every target up', async () => {
      const r = await query('up');
      return r.length === 3 && r.every((s) => s.value[1] === '1') ? r : undefined;
    });
    assert.deepEqual(up.map((s) => s.metric['job']).sort(), ['apiserver', 'nodes', 'objects']);
    const rate = await eventually('a rate of API requests', async () => {
      const r = await query('sum(rate(apiserver_request_total[5s]))');
      return r.length > 0 && Number(r[0]?.value[1]) > 0 ? r : undefined;
    });
    assert.ok(Number(rate[0]?.value[1]) > 0);
    await eventually('request latencies by verb', async () => {
      const r = await query('sum by (verb) (rate(apiserver_request_duration_seconds_count[5s]))');
      return r.some((s) => s.metric['verb'] === 'GET') || undefined;
    });
    const s3Puts = await eventually('the S3 PutObject count', async () => {
      const r = await query('stratus_s3_requests_total{operation="PutObject",code="200"}');
      return r.length > 0 ? r : undefined;
    });
    assert.equal(s3Puts[0]?.value[1], '1');
    await eventually(
      'store commits',
      async () => (await query('stratus_store_commit_batch_size_count')).length > 0 || undefined,
    );
    await eventually(
      'the node CPU counter',
      async () => (await query('node_cpu_usage_seconds_total')).length > 0 || undefined,
    );
  });

  it("object state (kube-state-metrics) and the controllers' and scheduler's work are exposed", async () => {
    await admin.create('deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'main', image: 'sh', command: ['sleep', '3600'] }],
          },
        },
      },
    });
    await admin.create('horizontalpodautoscalers', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 4 },
    });
    const node = hostname().toLowerCase();
    const text = await eventually(
      'the Deployment available in kube_deployment_status_replicas_available',
      async () => {
        const t = (await get(`${cloud.server.apiUrl}/metrics/objects`, token, ca)).text;
        return /kube_deployment_status_replicas_available\{namespace="default",deployment="web"\} 1\n/.test(t)
          ? t
          : undefined;
      },
    );
    assert.match(text, /kube_deployment_spec_replicas\{namespace="default",deployment="web"\} 1\n/);
    assert.match(
      text,
      /kube_pod_status_phase\{namespace="default",pod="web-[a-z0-9]+-[a-z0-9]+",uid="[^"]+",phase="Running"\} 1\n/,
    );
    assert.match(
      text,
      /kube_pod_status_phase\{namespace="default",pod="web-[a-z0-9]+-[a-z0-9]+",uid="[^"]+",phase="Pending"\} 0\n/,
    );
    assert.match(
      text,
      new RegExp(`kube_node_status_condition\\{node="${node}",condition="Ready",status="true"\\} 1\n`),
    );
    assert.match(
      text,
      /kube_horizontalpodautoscaler_spec_max_replicas\{namespace="default",horizontalpodautoscaler="web"\} 4\n/,
    );
    // The server's own series stay on /metrics, cheap to scrape whatever is stored.
    const own = (await get(`${cloud.server.apiUrl}/metrics`, token, ca)).text;
    assert.doesNotMatch(own, /^kube_pod_status_phase/m);
    assert.match(own, /workqueue_adds_total\{name="deployment"\} [1-9]/);
    assert.match(own, /workqueue_depth\{name="replicaset"\} \d+/);
    assert.match(own, /workqueue_work_duration_seconds_count\{name="deployment"\} [1-9]/);
    assert.match(
      own,
      /scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} [1-9]/,
    );
  });

  it('every exposed name passes promtool check metrics', async () => {
    const base = cloud.server.apiUrl;
    for (const path of [
      '/metrics',
      '/metrics/objects',
      `/api/v1/nodes/${hostname().toLowerCase()}/proxy/metrics`,
    ]) {
      const res = await get(`${base}${path}`, token, ca);
      assert.equal(res.status, 200, res.text);
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], {
        input: res.text,
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(check.status, 0, `${path}: ${check.stdout}${check.stderr}`);
    }
  });

  it('requests are labelled as kube-apiserver labels them', async () => {
    await admin.get('pods', 'nothing').catch(() => undefined);
    const text = (await get(`${cloud.server.apiUrl}/metrics`, token, ca)).text;
    // The agent lists and watches its pods across namespaces; the admin's get of a missing pod is a 404.
    assert.match(
      text,
      /apiserver_request_total\{verb="LIST",group="",version="v1",resource="pods",subresource="",scope="cluster",component="apiserver",code="200"\} \d+/,
    );
    assert.match(
      text,
      /apiserver_longrunning_requests\{verb="WATCH",group="",version="v1",resource="pods",subresource="",scope="cluster",component="apiserver"\} [1-9]/,
    );
    assert.match(
      text,
      /apiserver_request_total\{verb="GET",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",code="404"\} 1/,
    );
    assert.match(text, /stratus_store_commit_duration_seconds_bucket\{le="\+Inf"\} [1-9]/);
  });

  it('a token without the /metrics permission is refused', async () => {
    const other = cloud.server.loopbackToken({ username: 'nobody', groups: ['system:authenticated'] });
    for (const path of [
      '/metrics',
      '/metrics/objects',
      `/api/v1/nodes/${hostname().toLowerCase()}/proxy/metrics`,
    ]) {
      const res = await get(`${cloud.server.apiUrl}${path}`, other, ca);
      assert.equal(res.status, 403, `${path}: ${res.text}`);
    }
  });
});
