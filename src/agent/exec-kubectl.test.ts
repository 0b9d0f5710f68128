import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../controllers/testing.js';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import {
  KUBECTL,
  kubectl,
  kubectlSkip,
  nodePod,
  startAgentCluster,
  waitForPod,
  type AgentCluster,
  type KubectlRun,
} from './agent-testing.js';

const cs = (p: { status?: unknown }): ContainerStatus | undefined =>
  ((p.status ?? {}) as { containerStatuses?: ContainerStatus[] }).containerStatuses?.[0];
const running = (p: { status?: unknown }): boolean => cs(p)?.state?.running !== undefined;

const IDLE = 'setInterval(()=>{},1000)';

describe('kubectl exec, cp, attach, port-forward through the API to the agent', { skip: kubectlSkip }, () => {
  let c: AgentCluster;
  before(async () => {
    c = await startAgentCluster();
    await c.agent('n1');
    await c.client.create(
      'pods',
      nodePod('box', 'n1', IDLE, { env: [{ name: 'GREETING', value: 'hello' }] }),
    );
    await c.client.create(
      'pods',
      nodePod('talker', 'n1', "let i=0;setInterval(()=>console.log('line '+(i++)),100)"),
    );
    // Reads its own stdin, which `kubectl attach -i` writes to.
    await c.client.create(
      'pods',
      nodePod('reader', 'n1', '', {
        command: ['sh', '-c', 'while read l; do echo "got $l"; done'],
        stdin: true,
      }),
    );
    await waitForPod(c.client, 'box', running);
    await waitForPod(c.client, 'talker', running);
    await waitForPod(c.client, 'reader', running);
  });
  after(async () => c?.close());

  // kubectl 1.32 speaks WebSocket (v5.channel.k8s.io) and falls back to SPDY/3.1
  // (v4.channel.k8s.io) when the upgrade fails; the environment variable forces the fallback.
  for (const [protocol, env] of [
    ['WebSocket', {}],
    ['SPDY', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }],
  ] as const) {
    const run = (args: string[], input: string | Buffer = ''): Promise<KubectlRun> =>
      kubectl(c, args, { input, env });

    it(`${protocol} exec: stdout, stderr, env, and the exit code`, async () => {
      const out = await run(['-v=6', 'exec', 'box', '--', 'sh', '-c', 'echo "$GREETING out"; echo err >&2']);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, 'hello out\n');
      // kubectl's log names the request: a WebSocket GET or the SPDY POST of the fallback.
      const method = protocol === 'SPDY' ? 'POST' : 'GET';
      assert.match(out.stderr, new RegExp(`${method} https://\\S+/exec\\?\\S+ 101 Switching Protocols`));
      assert.match(out.stderr, /\nerr\n$/);
      const three = await run(['exec', 'box', '--', 'sh', '-c', 'exit 3']);
      assert.equal(three.code, 3, three.stderr);
    });

    it(`${protocol} exec -i: stdin piped through`, async () => {
      const out = await run(['exec', '-i', 'box', '--', 'sh', '-c', 'cat; echo done'], 'hi there\n');
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, 'hi there\ndone\n');
    });

    it(`${protocol} exec -it: a terminal, resized to kubectl’s, and its exit code (kubectl under script)`, async () => {
      // The remote command waits until the terminal has kubectl's size, then reports.
      const remote = `i=0; while [ "$(stty size)" != "33 91" ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done; stty size; tty; exit 4`;
      const inner = `stty cols 91 rows 33; exec ${KUBECTL} exec -it box -- sh -c '${remote}'`;
      const out = await kubectl(c, [], { env, argv: ['script', '-qfec', inner, '/dev/null'] });
      assert.equal(out.code, 4, out.stdout + out.stderr);
      assert.match(out.stdout, /33 91\r\n\/dev\/pts\/\d+\r\n/);
    });

    it(`${protocol} cp: a file in and back out, content equal`, async () => {
      const local = await mkdtemp(join(c.dir, 'cp-'));
      const content = Buffer.alloc(300_000);
      for (let i = 0; i < content.length; i++) content[i] = (i * 7919) % 251;
      await writeFile(join(local, 'in.bin'), content);
      const put = await run(['cp', join(local, 'in.bin'), 'box:copied.bin']);
      assert.equal(put.code, 0, put.stderr);
      const sum = await run(['exec', 'box', '--', 'sh', '-c', 'wc -c < copied.bin']);
      assert.equal(sum.stdout.trim(), String(content.length));
      const get = await run(['cp', 'box:copied.bin', join(local, 'out.bin')]);
      assert.equal(get.code, 0, get.stderr);
      assert.ok((await readFile(join(local, 'out.bin'))).equals(content));
    });

    it(`${protocol} attach: follows the main process output`, async () => {
      const out = await kubectl(c, ['attach', 'talker'], {
        env,
        stopWhen: (o) => /line \d+\n[\s\S]*line \d+\n/.test(o),
      });
      assert.match(out.stdout, /line \d+\nline \d+\n/);
    });

    it(`${protocol} attach -i: stdin reaches the container's own stdin (stdin: true)`, async () => {
      const word = `hello-${protocol}`;
      const out = await kubectl(c, ['attach', '-i', 'reader'], {
        input: `${word}\n`,
        env,
        stopWhen: (o) => o.includes(`got ${word}`),
      });
      assert.match(out.stdout, new RegExp(`got ${word}\n`), out.stderr);
      // Its stdin stays open after that attach ended (no stdinOnce): another attach is read too.
      const again = await kubectl(c, ['attach', '-i', 'reader'], {
        input: `${word}-again\n`,
        env,
        stopWhen: (o) => o.includes(`got ${word}-again`),
      });
      assert.match(again.stdout, new RegExp(`got ${word}-again\n`), again.stderr);
    });

    it(`${protocol} attach -i to a container without stdin: true says why`, async () => {
      const out = await kubectl(c, ['attach', '-i', 'talker'], { input: 'x\n', env });
      assert.notEqual(out.code, 0);
      assert.match(out.stderr, /stdin is not open for this container/);
    });

    it(`${protocol} run -i --rm: stdin until EOF, the output, then the pod is deleted`, async () => {
      const name = `once-${protocol.toLowerCase()}`;
      const out = await run(
        [
          'run',
          name,
          '-i',
          '--rm',
          '--restart=Never',
          '--image=none',
          '--overrides={"spec":{"nodeName":"n1"}}',
          '--command',
          '--',
          'sh',
          '-c',
          'while read l; do echo "read $l"; done; echo "stdin closed"',
        ],
        'one\ntwo\n',
      );
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /read one\nread two\nstdin closed\n/);
      assert.match(out.stdout, new RegExp(`pod "${name}" deleted`));
    });
  }

  it('run -it --rm: kubectl’s terminal into a tty: true container’s stdin (kubectl under script)', async () => {
    const run = [
      KUBECTL,
      'run',
      'tty',
      '-it',
      '--rm',
      '--restart=Never',
      '--image=none',
      `--overrides='{"spec":{"nodeName":"n1"}}'`,
      '--command',
      '--',
      'sh',
      '-c',
      `'read l; echo "read [$l]"'`,
    ].join(' ');
    // The typed line waits in script's terminal until kubectl, attached, reads it.
    const out = await kubectl(c, [], { argv: ['script', '-qfec', run, '/dev/null'], input: 'typed\n' });
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /read \[typed\]/);
    assert.match(out.stdout, /pod "tty" deleted/);
  });

  it('@kubernetes/client-node’s Exec: stdin in, stdout out, the exit Status to its callback', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(c.server.kubeconfigPath);
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const status = new Promise<V1Status>((resolve) => {
      void new Exec(kc).exec(
        'default',
        'box',
        'main',
        ['sh', '-c', 'read l; echo "got $l and $GREETING"; exit 6'],
        stdout,
        null,
        Readable.from(['from client-node\n']),
        false,
        resolve,
      );
    });
    const s = await status;
    assert.equal(s.status, 'Failure');
    assert.deepEqual(s.details?.causes, [{ reason: 'ExitCode', message: '6' }]);
    await eventually('the output to arrive', () => out.includes('\n'));
    assert.equal(out, 'got from client-node and hello\n');
  });

  it('a user without create on pods/exec gets 403; the edit role grants it', async () => {
    const viewer = c.server.loopbackToken({ username: 'viewer', groups: ['system:authenticated'] });
    const editor = c.server.loopbackToken({ username: 'editor', groups: ['system:authenticated'] });
    for (const [user, role] of [
      ['viewer', 'view'],
      ['editor', 'edit'],
    ] as const) {
      await c.client.create('rolebindings', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: user, namespace: 'default' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      });
    }
    const denied = await kubectl(c, ['--token', viewer, 'exec', 'box', '--', 'echo', 'no']);
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      /cannot create resource "pods\/exec" in API group "" in the namespace "default"/,
    );
    assert.equal(denied.stdout, '');
    // The SPDY fallback is a POST: the same check, as is attach's.
    const spdy = { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } };
    const deniedSpdy = await kubectl(c, ['--token', viewer, 'exec', 'box', '--', 'echo', 'no'], spdy);
    assert.match(deniedSpdy.stderr, /cannot create resource "pods\/exec" in API group ""/);
    assert.equal(deniedSpdy.stdout, '');
    const attach = await kubectl(c, ['--token', viewer, 'attach', 'talker'], spdy);
    assert.match(attach.stderr, /cannot create resource "pods\/attach" in API group ""/);
    const pf = await kubectl(c, ['--token', viewer, 'port-forward', 'box', '0:80']);
    assert.match(pf.stderr, /cannot create resource "pods\/portforward"/);
    const allowed = await kubectl(c, ['--token', editor, 'exec', 'box', '--', 'echo', 'yes']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, 'yes\n');
  });

  it('port-forward: HTTP through kubectl to the pod port, a large body intact', async () => {
    const server =
      "const big=Buffer.alloc(1<<20,'x');require('http').createServer((q,s)=>s.end(q.url==='/big'?big:'hello '+q.url))" +
      ".listen(+process.env.PORT,'127.0.0.1',()=>console.log('listening'))";
    await c.client.create('pods', nodePod('web', 'n1', server, { ports: [{ containerPort: 8080 }] }));
    await waitForPod(c.client, 'web', running);
    const pf = spawn(KUBECTL, ['port-forward', 'pod/web', ':8080', ':9'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: join(c.dir, 'home'),
        KUBECONFIG: c.server.kubeconfigPath,
      },
    });
    try {
      let out = '';
      let err = '';
      pf.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const [local, local2] = await new Promise<number[]>((resolve, reject) => {
        pf.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out);
          const n = /Forwarding from 127\.0\.0\.1:(\d+) -> 9\n/.exec(out);
          if (m !== null && n !== null) resolve([Number(m[1]), Number(n[1])]);
        });
        pf.once('close', () => reject(new Error(`kubectl port-forward ended: ${out}${err}`)));
      });
      const first = await fetch(`http://127.0.0.1:${local}/one`).catch((e: Error) => {
        throw new Error(`${e.message}: ${String(e.cause)}; kubectl said: ${out}${err}`);
      });
      assert.equal(await first.text(), 'hello /one');
      const big = await fetch(`http://127.0.0.1:${local}/big`);
      const body = Buffer.from(await big.arrayBuffer());
      assert.equal(body.length, 1 << 20);
      assert.ok(body.every((b) => b === 0x78));
      const again = await fetch(`http://127.0.0.1:${local}/two`);
      assert.equal(await again.text(), 'hello /two');
      // A port the pod does not declare: kubectl reports the agent's refusal for that connection.
      await fetch(`http://127.0.0.1:${local2}/`).catch(() => undefined);
      await eventually('kubectl to report the refused port', () => /declares TCP port 9/.test(err));
      assert.match(err, /an error occurred forwarding \d+ -> 9: pod default\/web has no running container/);
    } finally {
      pf.kill();
    }
  });
});
