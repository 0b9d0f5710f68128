/**
 * The hand-written peers of the load-balancer benchmark, as their users would write them:
 * HAProxy 2.6 (2 threads, L7 round robin, keep-alive, `http-reuse safe`), HAProxy `mode tcp`
 * (2 threads), nginx (2 workers, keep-alive upstream pool of 64).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** HAProxy's configuration; `mode` http or tcp. */
export function haproxyConfig(mode: 'http' | 'tcp', port: number, upstreams: readonly number[]): string {
  return [
    'global',
    '  nbthread 2',
    'defaults',
    `  mode ${mode}`,
    ...(mode === 'http' ? ['  option http-keep-alive'] : []),
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...(mode === 'http' ? ['  http-reuse safe'] : []),
    ...upstreams.map((p, i) => `  server s${i} 127.0.0.1:${p}`),
    '',
  ].join('\n');
}

/** nginx's configuration, everything it writes kept in `dir`. */
export function nginxConfig(dir: string, port: number, upstreams: readonly number[]): string {
  return `daemon off;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream be { ${upstreams.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
}

/** Writes a configuration file into `dir` and returns its path. */
export async function writeConfig(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}
