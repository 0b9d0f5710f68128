/**
 * Runs iproute2's `ip` (and a shell inside a network namespace for sysctls), rejecting with the
 * command's own message.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { podNetworkFailed } from '../errors.js';

const TIMEOUT_MS = 10_000;

/** Runs a program, resolving with its stdout. */
export function run(binary: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(binary, args, { timeout: TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, out, errOut) =>
      err
        ? reject(podNetworkFailed(`${binary} ${args.join(' ')}`, errOut.trim() || err.message))
        : resolve(out),
    );
    child.stdin?.on('error', () => undefined); // a program that does not read stdin closes it
    if (input === undefined) child.stdin?.end();
    else child.stdin?.end(input);
  });
}

/** `ip ARGS`. */
export function ip(args: string[]): Promise<string> {
  return run('ip', args);
}

/** `ip [-n NETNS] -batch -` with one command a line; stops at the first failure. */
export function ipBatch(lines: string[], netns?: string): Promise<string> {
  return run('ip', [...(netns === undefined ? [] : ['-n', netns]), '-batch', '-'], lines.join('\n') + '\n');
}

/** True when the named network namespace exists (`/run/netns/NAME`). */
export function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

/** Names of the network namespaces under /run/netns. */
export async function netnsList(): Promise<string[]> {
  const out = await ip(['-o', 'netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** True when a network interface of that name exists in the host's namespace. */
export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Writes a sysctl under /proc/sys/net (a dotted key) inside a namespace, or on the host without one. */
export async function setNetSysctl(key: string, value: string, netns?: string): Promise<void> {
  const path = `/proc/sys/${key.replaceAll('.', '/')}`;
  if (netns === undefined) {
    await writeFile(path, value);
    return;
  }
  await run('ip', ['netns', 'exec', netns, 'sh', '-c', `echo ${value} > ${path}`]);
}
