/**
 * Image figures (issue 11): importing a ~100 MiB image (a `docker save` tarball of four layers)
 * into the store against plain `tar -x` of the same layers, with and without unpacking the
 * layers for overlayfs; and pulling it from Debian's docker-registry on loopback against `curl`
 * fetching the same blobs. Ratios are the peer's time over ours (higher is better).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore, importArchive, pullImage, pushImage } from '../src/images/index.js';
import { RegistryProcess, registryAvailable, writeDockerSave } from '../src/images/testing.js';
import type { BenchResult } from './result.js';

const LAYERS = 4;
const LAYER_BYTES = 25 << 20;
const ROUNDS = 3;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function timed(fn: () => Promise<void> | void): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Layer folders of mixed file sizes (4 KiB to 1 MiB), random (incompressible) content. */
async function makeLayers(dir: string): Promise<string[]> {
  const folders: string[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const folder = join(dir, `layer${l}`);
    let written = 0;
    let i = 0;
    while (written < LAYER_BYTES) {
      const size = Math.min(LAYER_BYTES - written, 4096 << (i % 9));
      const sub = join(folder, `d${i % 16}`);
      await mkdir(sub, { recursive: true });
      await writeFile(join(sub, `f${i}`), randomBytes(size));
      written += size;
      i++;
    }
    folders.push(folder);
  }
  return folders;
}

/** Runs the image benchmarks and returns their figures. */
export async function benchImages(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-images-'));
  const results: BenchResult[] = [];
  try {
    const archive = await writeDockerSave(join(dir, 'src'), await makeLayers(join(dir, 'layers')), {
      tags: ['bench/big:1'],
    });
    const layerTars = Array.from({ length: LAYERS }, (_, i) =>
      join(dir, 'src', 'archive', `l${i}`, 'layer.tar'),
    );
    const mb = (LAYERS * LAYER_BYTES) / 1e6;

    const tarX: number[] = [];
    const imports: number[] = [];
    const importUnpack: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const out = join(dir, `tar-${r}`);
      tarX.push(
        await timed(async () => {
          for (const [i, tar] of layerTars.entries()) {
            await mkdir(join(out, `${i}`), { recursive: true });
            execFileSync('tar', ['-x', '-f', tar, '-C', join(out, `${i}`)]);
          }
        }),
      );
      await rm(out, { recursive: true, force: true });
      const store = await ImageStore.open(join(dir, `store-${r}`));
      imports.push(await timed(async () => void (await importArchive(store, archive))));
      importUnpack.push(
        imports[r]! + (await timed(async () => void (await store.ensureUnpacked('bench/big:1')))),
      );
      await rm(join(dir, `store-${r}`), { recursive: true, force: true });
    }
    const peer = median(tarX);
    results.push({
      name: `image import ${mb.toFixed(0)} MB (store, verified)`,
      value: median(imports),
      unit: 'ms',
      peer: { name: 'tar -x of the layers', value: peer },
      ratio: peer / median(imports),
      goal: '>= 0.8 of tar -x',
    });
    results.push({
      name: `image import + unpack ${mb.toFixed(0)} MB`,
      value: median(importUnpack),
      unit: 'ms',
      peer: { name: 'tar -x of the layers', value: peer },
      ratio: peer / median(importUnpack),
    });

    if (!registryAvailable()) return results;
    const registry = await RegistryProcess.start();
    try {
      const source = await ImageStore.open(join(dir, 'source'));
      await importArchive(source, archive);
      const target = `${registry.host}/bench/big:1`;
      await source.tag('bench/big:1', target);
      await pushImage(source, target);
      const image = await source.resolve(target);
      const blobs = [image.manifest.config, ...image.manifest.layers].map((d) => d.digest);
      const curls: number[] = [];
      const pulls: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const out = join(dir, `curl-${r}`);
        await mkdir(out);
        curls.push(
          await timed(() => {
            execFileSync('curl', [
              '-sf',
              '-H',
              'Accept: application/vnd.oci.image.manifest.v1+json',
              '-o',
              join(out, 'manifest'),
              `http://${registry.host}/v2/bench/big/manifests/1`,
            ]);
            for (const digest of blobs) {
              execFileSync('curl', [
                '-sf',
                '-o',
                join(out, digest.slice(7)),
                `http://${registry.host}/v2/bench/big/blobs/${digest}`,
              ]);
            }
          }),
        );
        await rm(out, { recursive: true, force: true });
        const store = await ImageStore.open(join(dir, `pull-${r}`));
        pulls.push(await timed(async () => void (await pullImage(store, target))));
        await rm(join(dir, `pull-${r}`), { recursive: true, force: true });
      }
      results.push({
        name: `image pull ${mb.toFixed(0)} MB from docker-registry`,
        value: median(pulls),
        unit: 'ms',
        peer: { name: 'curl of the same blobs', value: median(curls) },
        ratio: median(curls) / median(pulls),
        goal: '>= 0.8 of curl',
      });
    } finally {
      await registry.close();
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
