import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Event } from 'kubernetes-types/core/v1.js';
import { startServer, type RunningServer } from '../cli/server.js';
import type { KubeObject } from '../common/kube-object.js';
import { EventRecorder, KubeClient } from './index.js';

let dir = '';
let server: RunningServer;
let client: KubeClient;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-events-'));
  server = await startServer({ dataDir: dir, apiPort: 0 });
  client = new KubeClient({
    server: server.httpUrl,
    token: server.adminToken,
    namespace: 'default',
    contextName: 't',
  });
});

after(async () => {
  await client.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const pod = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
});

async function eventsAbout(prefix: string): Promise<Event[]> {
  const items = (await client.list('events')).items as unknown as Event[];
  return items.filter((e) => e.involvedObject.name?.startsWith(prefix));
}

test('every Event recorded before close() is written by then, repeats folded into counts', async () => {
  const recorder = new EventRecorder(client, { component: 'default-scheduler', concurrency: 2 });
  for (let i = 0; i < 40; i++) {
    recorder.event(pod(`flush-${i}`), 'Normal', 'Scheduled', `Successfully assigned default/flush-${i} to n`);
  }
  for (let i = 0; i < 3; i++) recorder.event(pod('flush-0'), 'Warning', 'FailedScheduling', 'no room');
  await recorder.close();
  const events = await eventsAbout('flush-');
  assert.equal(events.filter((e) => e.reason === 'Scheduled').length, 40);
  const failed = events.filter((e) => e.reason === 'FailedScheduling');
  assert.equal(failed.length, 1, 'one Event for the repeated warning');
  assert.equal(failed[0]?.count, 3);
  assert.equal(failed[0]?.source?.component, 'default-scheduler');
  assert.equal(recorder.dropped, 0);

  // A later repeat of a written Event bumps its count instead of creating another.
  recorder.event(pod('flush-0'), 'Warning', 'FailedScheduling', 'no room');
  await recorder.flush();
  const again = (await eventsAbout('flush-0')).filter((e) => e.reason === 'FailedScheduling');
  assert.deepEqual(
    again.map((e) => e.count),
    [4],
  );
});

test('a full backlog sheds Normal Events before Warnings', async () => {
  const recorder = new EventRecorder(client, { component: 'c', concurrency: 1, maxBacklog: 2 });
  // The first is taken by the writer at once; the backlog then holds at most two.
  recorder.event(pod('shed-n1'), 'Normal', 'Started', 'n1');
  recorder.event(pod('shed-w1'), 'Warning', 'Failed', 'w1');
  recorder.event(pod('shed-n2'), 'Normal', 'Started', 'n2');
  recorder.event(pod('shed-n3'), 'Normal', 'Started', 'n3');
  recorder.event(pod('shed-w2'), 'Warning', 'Failed', 'w2');
  await recorder.close();
  const written = (await eventsAbout('shed-')).map((e) => e.message).sort();
  assert.deepEqual(written, ['n1', 'w1', 'w2']);
  assert.equal(recorder.dropped, 2);
});
