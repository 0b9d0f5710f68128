/**
 * Test support: issue 3's Deployment acceptance, one body for every runtime (issue 11). Through
 * the real kubectl: apply a manifest of a 3-replica Deployment, every pod Ready and answering;
 * `set image`, `rollout status`, `rollout history`, `rollout undo`; `delete pod` and the pod is
 * replaced by a Ready one. The caller says how a pod is reached from the host (its host port on
 * `process`, its address on runc's pod network) and what it answers.
 */
import assert from 'node:assert/strict';

/** A pod as kubectl's JSON shows it. */
export interface KubectlPod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

/** What `deploymentAcceptance` needs. */
export interface DeploymentAcceptanceOptions {
  /** Runs kubectl against the cloud; rejects when it exits non-zero. */
  kubectl(...args: string[]): Promise<string>;
  /** The manifest file to apply. */
  manifest: string;
  /** The Deployment's name; its pods carry `app=NAME`. */
  deployment: string;
  /** Its container, and the image the manifest names and the one to roll to. */
  container: string;
  images: [string, string];
  /** The body a pod answers with over HTTP, fetched from the host as a user would. */
  reach(pod: KubectlPod): Promise<string>;
  /** The body pod NAME should answer with. */
  greeting(name: string): string;
}

const isReady = (p: KubectlPod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Runs the acceptance (see the file comment); returns the Deployment's pods at the end. */
export async function deploymentAcceptance(o: DeploymentAcceptanceOptions): Promise<KubectlPod[]> {
  const live = async (): Promise<KubectlPod[]> => {
    const list = JSON.parse(await o.kubectl('get', 'pods', '-l', `app=${o.deployment}`, '-o', 'json')) as {
      items: KubectlPod[];
    };
    return list.items.filter((p) => p.metadata.deletionTimestamp === undefined);
  };
  const rollout = (): Promise<string> =>
    o.kubectl('rollout', 'status', `deploy/${o.deployment}`, '--timeout=120s');

  await o.kubectl('apply', '-f', o.manifest);
  await rollout();
  const first = await live();
  assert.equal(first.length, 3);
  for (const pod of first) {
    assert.ok(isReady(pod), `${pod.metadata.name} is Ready`);
    assert.equal(await o.reach(pod), o.greeting(pod.metadata.name));
  }

  await o.kubectl('set', 'image', `deploy/${o.deployment}`, `${o.container}=${o.images[1]}`);
  await rollout();
  assert.match(await o.kubectl('rollout', 'history', `deploy/${o.deployment}`), /^2\s/m);
  await o.kubectl('rollout', 'undo', `deploy/${o.deployment}`);
  await rollout();
  const image = await o.kubectl(
    'get',
    'deploy',
    o.deployment,
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  );
  assert.equal(image, o.images[0]);
  const rolled = await live();
  const before = new Set(first.map((p) => p.metadata.uid));
  assert.ok(
    rolled.every((p) => !before.has(p.metadata.uid)),
    'the rollout replaced every pod',
  );

  const victim = rolled[0]?.metadata.name ?? '';
  await o.kubectl('delete', 'pod', victim, '--wait=true');
  await rollout();
  for (let i = 0; i < 300; i++) {
    const now = await live();
    if (now.length === 3 && now.every((p) => isReady(p) && p.metadata.name !== victim)) {
      for (const pod of now) assert.equal(await o.reach(pod), o.greeting(pod.metadata.name));
      return now;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`pod ${victim} was not replaced by a Ready pod`);
}
