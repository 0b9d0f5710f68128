import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasCode } from '../common/stratus-error.js';
import { mountEnv, planVolume, resolveMounts, type VolumeSources } from './volume-plan.js';

const sources: VolumeSources = {
  configMap: (n) =>
    n === 'cfg'
      ? { data: { 'app.conf': 'x=1', other: 'y' }, binaryData: { blob: btoa('\u0001\u0002') } }
      : undefined,
  secret: (n) => (n === 'tls' ? { data: { 'tls.key': btoa('KEY') } } : undefined),
};

test('configMap volumes project every key, or the items asked for with their modes', () => {
  const all = planVolume({ name: 'c', configMap: { name: 'cfg' } }, sources);
  assert.equal(all.kind, 'files');
  assert.deepEqual(all.kind === 'files' ? all.files.map((f) => [f.path, f.mode]) : [], [
    ['app.conf', 0o644],
    ['other', 0o644],
    ['blob', 0o644],
  ]);
  const some = planVolume(
    {
      name: 'c',
      configMap: {
        name: 'cfg',
        defaultMode: 0o600,
        items: [
          { key: 'app.conf', path: 'conf/app.conf', mode: 0o400 },
          { key: 'other', path: 'o' },
        ],
      },
    },
    sources,
  );
  assert.deepEqual(some.kind === 'files' ? some.files : [], [
    { path: 'conf/app.conf', content: 'x=1', mode: 0o400 },
    { path: 'o', content: 'y', mode: 0o600 },
  ]);
});

test('secret volumes decode base64; missing sources fail unless optional', () => {
  const s = planVolume({ name: 's', secret: { secretName: 'tls' } }, sources);
  assert.deepEqual(s.kind === 'files' ? [...(s.files[0]?.content as Uint8Array)] : [], [75, 69, 89]);
  assert.throws(
    () => planVolume({ name: 's', secret: { secretName: 'nope' } }, sources),
    (e) => hasCode(e, 'RUNTIME_CONTAINER_CONFIG') && /secret "nope" not found/.test((e as Error).message),
  );
  assert.deepEqual(planVolume({ name: 's', secret: { secretName: 'nope', optional: true } }, sources), {
    name: 's',
    kind: 'files',
    files: [],
  });
  assert.throws(
    () => planVolume({ name: 'c', configMap: { name: 'cfg', items: [{ key: 'zz', path: 'zz' }] } }, sources),
    /couldn't find key zz in configmap cfg/,
  );
  assert.throws(
    () =>
      planVolume({ name: 'c', configMap: { name: 'cfg', items: [{ key: 'other', path: '../x' }] } }, sources),
    /must be relative/,
  );
});

test('emptyDir and hostPath plans; unsupported kinds are config errors', () => {
  assert.deepEqual(planVolume({ name: 'e', emptyDir: {} }, sources), { name: 'e', kind: 'emptyDir' });
  assert.deepEqual(planVolume({ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }, sources), {
    name: 'm',
    kind: 'emptyDir',
    medium: 'Memory',
    sizeLimitBytes: 64 * 1024 * 1024,
  });
  assert.throws(
    () => planVolume({ name: 'p', emptyDir: { medium: 'HugePages' } }, sources),
    /medium "HugePages"/,
  );
  assert.throws(
    () => planVolume({ name: 'b', emptyDir: { medium: 'Memory', sizeLimit: 'lots' } }, sources),
    /invalid sizeLimit "lots"/,
  );
  assert.deepEqual(planVolume({ name: 'h', hostPath: { path: '/data', type: 'Directory' } }, sources), {
    name: 'h',
    kind: 'hostPath',
    path: '/data',
    type: 'Directory',
  });
  assert.throws(
    () => planVolume({ name: 'n', nfs: { server: 's', path: '/' } }, sources),
    /type nfs is not supported/,
  );
});

test('resolveMounts joins subPath and rejects unknown volumes; mountEnv names them', () => {
  const mounts = resolveMounts(
    [{ name: 'app-config', mountPath: '/etc/app', subPath: 'conf', readOnly: true }],
    { 'app-config': '/var/v/app-config/' },
  );
  assert.deepEqual(mounts, [
    {
      name: 'app-config',
      mountPath: '/etc/app',
      hostPath: '/var/v/app-config/conf',
      readOnly: true,
      subPath: 'conf',
    },
  ]);
  assert.deepEqual(mountEnv(mounts), { VOLUME_APP_CONFIG: '/var/v/app-config/conf' });
  assert.throws(
    () => resolveMounts([{ name: 'x', mountPath: '/x' }], {}),
    (e) => hasCode(e, 'RUNTIME_CONTAINER_CONFIG'),
  );
});
