import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasCode } from '../../common/stratus-error.js';
import type { ContainerSpec } from '../runtime.js';
import { containerCapabilities, DEFAULT_CAPABILITIES } from './capabilities.js';
import { resolveUser } from './image-user.js';
import {
  buildOciConfig,
  containerArgv,
  INIT_PATH,
  MASKED_PATHS,
  userToResolve,
  type OciConfig,
} from './oci-config.js';

const image = {
  reference: 'docker.io/library/web:1',
  digest: 'sha256:00',
  config: {
    Env: ['PATH=/app/bin:/bin', 'MODE=image', 'LANG=C'],
    Entrypoint: ['/app/entry'],
    Cmd: ['serve', '--port=80'],
    WorkingDir: '/app',
    User: 'app:staff',
  },
  layerDirs: ['/layers/a', '/layers/b'],
};

const files = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n',
  group: 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nwheel:x:10:app\n',
};

function spec(extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    podUid: 'u1',
    podNamespace: 'default',
    podName: 'web-1',
    containerName: 'web',
    attempt: 0,
    command: [],
    env: { MODE: 'pod' },
    unpackedImage: image,
    ...extra,
  };
}

function config(s: ContainerSpec): OciConfig {
  return buildOciConfig(s, {
    cgroupsPath: '/stratus-runc/abc',
    imageUser: resolveUser(userToResolve(s), files),
    initBinary: '/usr/bin/tini-static',
    hostFiles: { hosts: '/etc/hosts', resolvConf: '/etc/resolv.conf' },
    extraEnv: { PORT: '31000' },
  });
}

test('oci config: command and args over the image entrypoint and cmd, as Kubernetes', () => {
  assert.deepEqual(containerArgv(spec(), image.config), ['/app/entry', 'serve', '--port=80']);
  const withArgs = spec({ commandParts: { args: ['check'] } });
  assert.deepEqual(containerArgv(withArgs, image.config), ['/app/entry', 'check']);
  const withCommand = spec({ commandParts: { command: ['/bin/sh'], args: ['-c', 'true'] } });
  assert.deepEqual(containerArgv(withCommand, image.config), ['/bin/sh', '-c', 'true']);
  assert.deepEqual(containerArgv(spec({ command: ['/x', 'y'] }), image.config), ['/x', 'y']);
  assert.throws(
    () => containerArgv(spec({ unpackedImage: { ...image, config: {} } }), {}),
    (e) => hasCode(e, 'RUNTIME_START_FAILED'),
  );
  assert.deepEqual(config(spec()).process.args, [INIT_PATH, '--', '/app/entry', 'serve', '--port=80']);
});

test('oci config: env over the image env, workingDir, user with group and supplementary groups', () => {
  const c = config(spec());
  assert.deepEqual(c.process.env, [
    'PATH=/app/bin:/bin',
    'HOSTNAME=web-1',
    'HOME=/home/app',
    'MODE=pod',
    'LANG=C',
    'PORT=31000',
  ]);
  assert.equal(c.process.cwd, '/app');
  assert.deepEqual(c.process.user, { uid: 1000, gid: 50, additionalGids: [10] });
  assert.equal(config(spec({ workingDir: '/srv' })).process.cwd, '/srv');
  const numeric = config(spec({ security: { runAsUser: 4242, runAsGroup: 7, supplementalGroups: [9] } }));
  assert.deepEqual(numeric.process.user, { uid: 4242, gid: 7, additionalGids: [9] });
  assert.deepEqual(resolveUser('1000:1000', files), {
    uid: 1000,
    gid: 1000,
    additionalGids: [50, 10],
    home: '/home/app',
  });
  assert.throws(() => resolveUser('ghost', files), /unable to find user ghost/);
});

test('oci config: Docker default capabilities, all when privileged, add and drop', () => {
  const c = config(spec());
  assert.deepEqual(c.process.capabilities.bounding, DEFAULT_CAPABILITIES);
  assert.ok(!c.process.capabilities.effective.includes('CAP_SYS_ADMIN'));
  assert.equal(c.process.noNewPrivileges, false);
  assert.deepEqual(c.linux.maskedPaths, MASKED_PATHS);
  assert.equal(c.linux.resources.devices[0]?.allow, false);
  const p = config(spec({ security: { privileged: true } }));
  assert.ok(p.process.capabilities.effective.includes('CAP_SYS_ADMIN'));
  assert.equal(p.linux.maskedPaths, undefined);
  assert.equal(p.linux.resources.devices[0]?.allow, true);
  assert.deepEqual(containerCapabilities({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] }), [
    'CAP_NET_BIND_SERVICE',
  ]);
  assert.ok(!containerCapabilities({ drop: ['NET_RAW'] }).includes('CAP_NET_RAW'));
  const locked = config(
    spec({ security: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true } }),
  );
  assert.equal(locked.process.noNewPrivileges, true);
  assert.deepEqual(locked.root, { path: 'rootfs', readonly: true });
});

test('oci config: runAsNonRoot refuses root images with kubelet’s message', () => {
  const root = spec({ unpackedImage: { ...image, config: { Cmd: ['/bin/sh'] } } });
  const nonRoot = { runAsNonRoot: true };
  assert.throws(
    () => config({ ...root, security: nonRoot }),
    (e) =>
      hasCode(e, 'RUNTIME_CONTAINER_CONFIG') &&
      (e as Error).message ===
        'container has runAsNonRoot and image will run as root (pod: "web-1_default(u1)", container: web)',
  );
  assert.throws(() => config(spec({ security: nonRoot })), /image has non-numeric user \(app\)/);
  assert.doesNotThrow(() => config({ ...root, security: { ...nonRoot, runAsUser: 1000 } }));
  assert.throws(() => config({ ...root, security: { ...nonRoot, runAsUser: 0 } }), /breaks non-root policy/);
});

test('oci config: limits, namespaces, hostname and mounts', () => {
  const c = config(
    spec({
      limits: { memoryBytes: 64 << 20, cpuCores: 0.5, pids: 64 },
      mounts: [{ name: 'data', mountPath: '/data', hostPath: '/var/lib/x', readOnly: true }],
    }),
  );
  assert.deepEqual(c.linux.resources.memory, { limit: 64 << 20 });
  assert.deepEqual(c.linux.resources.cpu, { shares: 512, quota: 50000, period: 100000 });
  assert.deepEqual(c.linux.resources.pids, { limit: 64 });
  assert.equal(c.linux.cgroupsPath, '/stratus-runc/abc');
  assert.deepEqual(
    c.linux.namespaces.map((n) => n.type),
    ['pid', 'ipc', 'uts', 'mount'],
    'no network namespace: the host network, as the process runtime',
  );
  assert.equal(c.hostname, 'web-1');
  const data = c.mounts.find((m) => m.destination === '/data');
  assert.deepEqual(data, {
    destination: '/data',
    type: 'bind',
    source: '/var/lib/x',
    options: ['rbind', 'rprivate', 'ro'],
  });
  const sandboxed = config(
    spec({
      sandbox: {
        netnsPath: '/run/netns/p1',
        podIP: '10.88.0.5',
        hostname: 'web-1',
        hostsFile: '/pods/p1/hosts',
        resolvConfFile: '/pods/p1/resolv.conf',
      },
    }),
  );
  assert.deepEqual(sandboxed.linux.namespaces.at(-1), { type: 'network', path: '/run/netns/p1' });
  const hosts = sandboxed.mounts.find((m) => m.destination === '/etc/hosts');
  assert.equal(hosts?.source, '/pods/p1/hosts');
});

test('oci config: the RuntimeDefault seccomp profile by default, gated by capabilities; none when Unconfined or privileged', () => {
  const denied = (c: OciConfig): string[] => c.linux.seccomp?.syscalls[0]?.names ?? [];
  const plain = config(spec());
  assert.equal(plain.linux.seccomp?.defaultAction, 'SCMP_ACT_ALLOW');
  assert.deepEqual(plain.linux.seccomp?.architectures, [
    'SCMP_ARCH_X86_64',
    'SCMP_ARCH_X86',
    'SCMP_ARCH_X32',
  ]);
  for (const name of ['unshare', 'mount', 'keyctl', 'ptrace', 'kexec_load', 'reboot', 'setns'])
    assert.ok(denied(plain).includes(name), name);
  assert.ok(
    plain.linux.seccomp?.syscalls.some((r) => r.names[0] === 'clone' && r.args?.[0]?.value === 0x10000000),
  );
  const admin = config(spec({ security: { capabilities: { add: ['SYS_ADMIN', 'SYS_PTRACE'] } } }));
  assert.ok(!denied(admin).includes('unshare') && !denied(admin).includes('ptrace'));
  assert.ok(denied(admin).includes('keyctl') && denied(admin).includes('reboot'));
  assert.ok(!admin.linux.seccomp?.syscalls.some((r) => r.names[0] === 'clone'));
  assert.equal(
    config(spec({ security: { seccompProfile: { type: 'Unconfined' } } })).linux.seccomp,
    undefined,
  );
  assert.equal(config(spec({ security: { privileged: true } })).linux.seccomp, undefined);
  assert.throws(
    () => config(spec({ security: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } })),
    (err: unknown) => hasCode(err, 'RUNTIME_CONTAINER_CONFIG'),
  );
});
