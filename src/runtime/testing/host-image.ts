import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { UnpackedImage } from '../runtime.js';

/** Debian's busybox-static, the shell and tools of the test image. */
export const BUSYBOX = '/bin/busybox';

/** A test image built from the host, and the folder to remove when done. */
export interface HostImage {
  image: UnpackedImage;
  dir: string;
  close(): void;
}

function place(file: string, layer: string): void {
  const target = join(layer, file);
  if (existsSync(target)) return;
  mkdirSync(dirname(target), { recursive: true });
  // Symlinks (ld-linux, versioned libraries) are resolved: the layer holds the files themselves.
  const real = realpathSync(file);
  try {
    linkSync(real, target);
  } catch {
    copyFileSync(real, target);
  }
}

/** The shared libraries `ldd` lists for a binary, with the dynamic loader. */
function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1] !== undefined) libs.push(m[1]);
  }
  return libs;
}

/**
 * An image made from the host, no registry needed: a lower layer with Debian's static busybox (at
 * /bin/busybox with every applet as a symlink, so `sh`, `sleep`, `cat` … exist), `/etc/passwd`
 * (root, `app` 1000, nobody) and `/etc/group`; an upper layer with the host's `node` at the same
 * path (so the runtime contract suite's `process.execPath` commands run unchanged) and the shared
 * libraries `ldd` lists. Files are hard links when the temp folder shares the host's file system.
 */
export function buildHostImage(options: { node?: string } = {}): HostImage {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-host-image-'));
  const base = join(dir, 'busybox');
  const nodeLayer = join(dir, 'node');
  mkdirSync(join(base, 'bin'), { recursive: true });
  place(BUSYBOX, base);
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    const target = join(base, applet);
    if (existsSync(target)) continue;
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync('/bin/busybox', target);
  }
  mkdirSync(join(base, 'etc'), { recursive: true });
  mkdirSync(join(base, 'tmp'), { recursive: true });
  chmodSync(join(base, 'tmp'), 0o1777);
  mkdirSync(join(base, 'root'), { recursive: true, mode: 0o700 });
  mkdirSync(join(base, 'home', 'app'), { recursive: true });
  chownSync(join(base, 'home', 'app'), 1000, 1000);
  writeFileSync(
    join(base, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(join(base, 'etc', 'group'), 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n');
  const node = options.node ?? process.execPath;
  place(node, nodeLayer);
  for (const lib of sharedLibraries(node)) place(lib, nodeLayer);
  return {
    image: {
      reference: 'stratus.test/host-node:latest',
      digest: `sha256:${'0'.repeat(64)}`,
      config: { Env: [`PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`], Cmd: ['/bin/sh'] },
      layerDirs: [base, nodeLayer],
    },
    dir,
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
