import { execFileSync } from 'node:child_process';
import { createSign, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/**
 * A Docker token service (the `Bearer realm=` side of registry auth) for tests: it checks basic
 * credentials and signs RS256 JWTs that Debian's docker-registry verifies against the
 * self-signed certificate it was given (`rootcertbundle`), granting the scopes asked for.
 */
export class TokenServer {
  private constructor(
    /** The query strings of the token requests, in order. */
    readonly requests: string[],
    private readonly server: Server,
    readonly realm: string,
    readonly certFile: string,
  ) {}

  /** Makes a key and certificate in `dir` (openssl) and listens on 127.0.0.1. */
  static async start(dir: string, users: Record<string, string>): Promise<TokenServer> {
    const keyFile = join(dir, 'token.key');
    const certFile = join(dir, 'token.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-subj',
        '/CN=stratus-token',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    const key = await readFile(keyFile, 'utf8');
    const der = Buffer.from((await readFile(certFile, 'utf8')).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const requests: string[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(url.search);
      const [user, password] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
        .toString()
        .split(':');
      if (!user || password === undefined || users[user] !== password) {
        res.writeHead(401).end();
        return;
      }
      const access = url.searchParams
        .getAll('scope')
        .flatMap((s) => s.split(' '))
        .filter((s) => s !== '')
        .map((s) => {
          const [type, name, actions] = s.split(':');
          return { type, name, actions: (actions ?? '').split(',') };
        });
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der.toString('base64')] }));
      const claims = b64url(
        JSON.stringify({
          iss: 'stratus-test-issuer',
          sub: user,
          aud: 'stratus-test',
          exp: now + 300,
          nbf: now - 10,
          iat: now,
          jti: randomBytes(8).toString('hex'),
          access,
        }),
      );
      const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token: `${header}.${claims}.${b64url(signature)}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return new TokenServer(requests, server, `http://127.0.0.1:${port}/token`, certFile);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
