import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { buildHostImage, type HostImage } from '../runtime/testing.js';
import { runcMissing } from '../runtime/testing.js';
import {
  HTTP_SCRIPT,
  nodePod,
  pidPort,
  startAgentCluster,
  waitForLog,
  waitForPod,
  type AgentCluster,
} from './agent-testing.js';

// Pods on the runc runtime through the agent: RuntimeClass `runc`, probes, OOM kills restarted by
// the agent, and the process runtime refusing what it cannot honour. Until the images part fills
// `unpackedImage` here (a fixed `defaultImage`), the runc runtime runs the host-built test image.
const missing = runcMissing();
if (missing !== undefined && process.env['CI'] === 'true')
  throw new Error(`the agent's runc tests ${missing}`);
if (missing !== undefined) process.stderr.write(`skipping the agent's runc tests: ${missing}\n`);

const cs = (p: { status?: unknown }): ContainerStatus | undefined =>
  (p.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses?.[0];

describe('agent: pods on runc', missing === undefined ? {} : { skip: missing }, () => {
  let c: AgentCluster;
  let image: HostImage;
  before(async () => {
    image = buildHostImage();
    c = await startAgentCluster();
    await c.agent('n1', { runc: { defaultImage: image.image } });
  });
  after(async () => {
    await c.close();
    image.close();
  });

  it('runs a pod with runtimeClassName runc: probed Ready, serving on its port, in its own pid namespace', async () => {
    await c.client.create(
      'pods',
      nodePod(
        'web',
        'n1',
        HTTP_SCRIPT,
        {
          ports: [{ containerPort: 8080 }],
          readinessProbe: { exec: { command: ['/bin/sh', '-c', 'test -d /proc/1'] }, periodSeconds: 1 },
        },
        { runtimeClassName: 'runc' },
      ),
    );
    const pod = await waitForPod(c.client, 'web', (p) => cs(p)?.ready === true);
    assert.match(cs(pod)?.containerID ?? '', /^runc:\/\//);
    const { pid, port } = pidPort(await waitForLog(c, 'web', /pid=/));
    assert.ok(pid < 10, `pid ${pid} is the container's own numbering`);
    assert.match(await (await fetch(`http://127.0.0.1:${port}/`)).text(), /^ok \d+$/);
  });

  it('a container past its memory limit is OOMKilled and restarted by the agent', async () => {
    const hog = `console.log('up'); const a = []; setInterval(() => a.push(Buffer.alloc(8 << 20, 1)), 5)`;
    await c.client.create(
      'pods',
      nodePod('hog', 'n1', hog, { resources: { limits: { memory: '64Mi' } } }, { runtimeClassName: 'runc' }),
    );
    const pod = await waitForPod(c.client, 'hog', (p) => (cs(p)?.restartCount ?? 0) >= 1, 300);
    assert.equal(cs(pod)?.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(cs(pod)?.lastState?.terminated?.exitCode, 137);
  });

  it('mounts volumes at their mountPath, readable by a non-root user, in a read-only root', async () => {
    await c.client.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default' },
      data: { greeting: 'hello from a configMap' },
    });
    const script = `const fs = require('fs'); let w = 'writable'; try { fs.writeFileSync('/x', '') } catch (e) { w = e.code }
      console.log(fs.readFileSync('/etc/cfg/greeting', 'utf8') + ' uid=' + process.getuid() + ' root=' + w)`;
    await c.client.create(
      'pods',
      nodePod(
        'vol',
        'n1',
        script,
        {
          volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
          securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true },
        },
        {
          runtimeClassName: 'runc',
          restartPolicy: 'Never',
          volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }],
        },
      ),
    );
    assert.match(await waitForLog(c, 'vol', /uid=/), /^hello from a configMap uid=1000 root=EROFS$/m);
  });

  it('the process runtime refuses readOnlyRootFilesystem instead of ignoring it', async () => {
    await c.client.create(
      'pods',
      nodePod('ro', 'n1', 'setInterval(() => {}, 1000)', {
        securityContext: { readOnlyRootFilesystem: true },
      }),
    );
    const pod = await waitForPod(
      c.client,
      'ro',
      (p) => cs(p)?.state?.waiting?.reason === 'CreateContainerConfigError',
    );
    assert.match(
      cs(pod)?.state?.waiting?.message ?? '',
      /process runtime cannot honour.*runtimeClassName: runc/,
    );
  });
});
