import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ConnectionError } from './errors.js';

/** How to reach and trust an API server. */
export interface TransportOptions {
  /** The base URL: `https://127.0.0.1:6443`. */
  server: string;
  /** PEM certificates to trust instead of the system's (a private CA, a self-signed server). */
  ca?: string;
  /** Skip certificate verification (kubeconfig `insecure-skip-tls-verify`). Default false. */
  insecureSkipTlsVerify?: boolean;
}

/** One request as the transport sends it. */
export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/**
 * HTTP/1.1 with keep-alive to one API server, over node:http or node:https. Not fetch: Node
 * 20's fetch cannot trust a private CA (the cluster's `certificate-authority-data`) without the
 * undici package, while node:https takes the CA directly. Idle pooled sockets do not keep the
 * process alive; `close()` destroys them.
 */
export class HttpTransport {
  private readonly agent: HttpAgent;
  private readonly tls: boolean;

  constructor(options: TransportOptions) {
    this.tls = new URL(options.server).protocol === 'https:';
    this.agent = this.tls
      ? new HttpsAgent({
          keepAlive: true,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          rejectUnauthorized: options.insecureSkipTlsVerify !== true,
        })
      : new HttpAgent({ keepAlive: true });
  }

  /** Sends a request; resolves with the response (headers read, body not yet consumed). */
  send(req: TransportRequest): Promise<IncomingMessage> {
    const send = this.tls ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const r = send(req.url, {
        method: req.method,
        headers:
          req.body === undefined
            ? req.headers
            : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        agent: this.agent,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      r.on('response', resolve);
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (req.signal?.aborted) {
          reject(err);
          return;
        }
        const message =
          err.code === 'ECONNREFUSED'
            ? `The connection to the server ${req.url.host} was refused - did you specify the right host or port?`
            : `Cannot reach the server ${req.url.host}: ${err.message}`;
        reject(new ConnectionError(message, { server: req.url.origin, code: err.code }));
      });
      r.end(req.body);
    });
  }

  /** Closes pooled connections. */
  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

/** The whole body of a response as text. */
export async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
