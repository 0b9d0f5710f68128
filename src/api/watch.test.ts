/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from './testing.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ bookmarkIntervalMs: 100 });
});
after(() => c.close());

interface Event {
  type: string;

  object: any;
}

/** Opens a watch and collects events until `until` says stop (or 10 s pass). */
async function watch(
  path: string,
  until: (events: Event[]) => boolean,
  accept?: string,
  onOpen?: () => Promise<void>,
): Promise<Event[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  const events: Event[] = [];
  try {
    const res = await fetch(c.url + path, {
      headers: { authorization: `Bearer ${c.server.adminToken}`, ...(accept ? { accept } : {}) },
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    if (onOpen) await onOpen();
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)) as Event);
        buf = buf.slice(nl + 1);
      }
    }
    await reader.cancel();
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

const cm = (name: string, value = '1'): Record<string, unknown> => ({
  metadata: { name },
  data: { a: value },
});

test('a watch from a resourceVersion gets later changes in order, DELETED included', async () => {
  const list = await c.call('GET', '/api/v1/namespaces/default/configmaps');
  const rv = list.body.metadata.resourceVersion as string;
  await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('w1') });
  await c.call('PUT', '/api/v1/namespaces/default/configmaps/w1', { body: cm('w1', '2') });
  await c.call('DELETE', '/api/v1/namespaces/default/configmaps/w1');
  const events = await watch(
    `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
    (e) => e.length >= 3,
  );
  assert.deepEqual(
    events.map((e) => [e.type, e.object.metadata.name]),
    [
      ['ADDED', 'w1'],
      ['MODIFIED', 'w1'],
      ['DELETED', 'w1'],
    ],
  );
});

test('a watch without a resourceVersion starts with the current objects, then live events', async () => {
  await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('existing') });
  const events = await watch(
    '/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dexisting',
    (e) => e.length >= 2,
    undefined,
    async () => {
      await c.call('PUT', '/api/v1/namespaces/default/configmaps/existing', { body: cm('existing', '9') });
    },
  );
  assert.equal(events[0]?.type, 'ADDED');
  assert.equal(events[1]?.type, 'MODIFIED');
  assert.equal(events[1]?.object.data.a, '9');
});

test('a compacted resourceVersion gets an ERROR event with a 410 Expired Status', async () => {
  await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('old') });
  const rev = await c.server.store.currentRevision();
  await c.server.store.compact(rev);
  const events = await watch(
    '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1',
    (e) => e.length >= 1,
  );
  assert.equal(events[0]?.type, 'ERROR');
  assert.equal(events[0]?.object.code, 410);
  assert.equal(events[0]?.object.reason, 'Expired');
});

test('Table watches send one-row tables; bookmarks arrive when allowed', async () => {
  const list = await c.call('GET', '/api/v1/namespaces/default/configmaps');
  const rv = list.body.metadata.resourceVersion as string;
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
  const events = await watch(
    `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
    (e) => e.some((x) => x.type === 'ADDED') && e.some((x) => x.type === 'BOOKMARK'),
    accept,
    async () => {
      await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('tabled') });
    },
  );
  const added = events.find((e) => e.type === 'ADDED');
  assert.equal(added?.object.kind, 'Table');
  assert.equal(added?.object.rows.length, 1);
  assert.equal(added?.object.rows[0].cells[0], 'tabled');
  const bookmark = events.find((e) => e.type === 'BOOKMARK');
  assert.ok(Number(bookmark?.object.metadata.resourceVersion) >= Number(rv));
});

test('the legacy /watch/ path watches one object by name', async () => {
  await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('legacy') });
  const events = await watch('/api/v1/watch/namespaces/default/configmaps/legacy', (e) => e.length >= 1);
  assert.equal(events[0]?.type, 'ADDED');
  assert.equal(events[0]?.object.metadata.name, 'legacy');
});

test('timeoutSeconds ends the watch', async () => {
  const res = await fetch(
    `${c.url}/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=0`,
    {
      headers: { authorization: `Bearer ${c.server.adminToken}` },
      signal: AbortSignal.timeout(10_000),
    },
  );
  const text = await res.text();
  assert.equal(res.status, 200);
  assert.ok(text.length >= 0);
});

test('boolean parameters read as kube-apiserver reads them: watch=True watches, watch=False lists', async () => {
  await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('pybool') });
  const events = await watch(
    '/api/v1/namespaces/default/configmaps?watch=True&fieldSelector=metadata.name%3Dpybool',
    (e) => e.length >= 1,
  );
  assert.equal(events[0]?.type, 'ADDED');
  const list = await c.call('GET', '/api/v1/namespaces/default/configmaps?watch=False');
  assert.equal(list.body.kind, 'ConfigMapList');
});

test('sendInitialEvents=true sends the state, then a BOOKMARK marking its end; false sends only changes', async () => {
  await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('wl') });
  const q = 'fieldSelector=metadata.name%3Dwl&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=1';
  const events = await watch(
    `/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&${q}`,
    (e) => e.length >= 2,
  );
  assert.deepEqual(
    events.map((e) => e.type),
    ['ADDED', 'BOOKMARK'],
  );
  assert.equal(events[1]?.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  assert.equal(events[1]?.object.metadata.resourceVersion, events[0]?.object.metadata.resourceVersion);
  const later = await watch(
    `/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=false&${q}`,
    (e) => e.some((x) => x.type === 'MODIFIED'),
    undefined,
    async () => {
      await c.call('PUT', '/api/v1/namespaces/default/configmaps/wl', { body: cm('wl', '2') });
    },
  );
  assert.equal(later.filter((e) => e.type === 'ADDED').length, 0);
});

test('sendInitialEvents and resourceVersionMatch are checked as Kubernetes checks them', async () => {
  const base = '/api/v1/namespaces/default/configmaps';
  const noMatch = await c.call('GET', `${base}?watch=true&sendInitialEvents=true`);
  assert.equal(noMatch.status, 422);
  assert.equal(
    noMatch.body.message,
    'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
  );
  const onList = await c.call('GET', `${base}?sendInitialEvents=false`);
  assert.equal(onList.status, 422);
  assert.match(onList.body.message, /sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list/);
  const badMatch = await c.call('GET', `${base}?resourceVersion=1&resourceVersionMatch=Newest`);
  assert.equal(badMatch.status, 422);
  assert.match(
    badMatch.body.message,
    /Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""/,
  );
});
