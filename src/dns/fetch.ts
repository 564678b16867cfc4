/**
 * A `fetch` for Lifeline's upstream clients over node:http(s), with keep-alive pools, resolving
 * through the HostResolver. With the system resolver the operating system resolves each new
 * connection's host, as the global fetch does. With `dns.servers`, every request asks the resolver
 * (its cache, or the servers), then connects to that address with the hostname kept as the Host
 * header and the TLS server name: a request never reaches a name whose answer has lapsed, even over
 * a pooled connection.
 *
 * Not the global fetch (undici), even with the system resolver: it costs more than twice the CPU
 * per call (a loopback POST, client and server in one process: 286–547 µs against 126–202 µs),
 * and while a storm arrives on a busy node the identity calls' turnaround is what keeps the
 * upstream fed (bench:storm at 1,000 clients from a cold node: 1.10–1.24 × N/C and first-ETA p90
 * 9–49% over 7 runs with it, 1.06–1.11 × and 5–13% over 10 without; docs/BENCHMARKS.md).
 *
 * It speaks the part of fetch the clients use: a string body, headers, `signal`, and no redirect
 * following (as `redirect: "manual"`). Bodies are read whole, up to 1 MiB.
 */
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HostResolver } from './resolver.ts';

export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

const maxBodyBytes = 1024 * 1024;
const noBody = new Set([101, 204, 205, 304]);

/** The fetch to hand to upstream clients, and `close()` for its connection pools. */
export function resolvingFetch(resolver: HostResolver): { fetch: Fetch; close: () => void } {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  return {
    fetch: async (input, init) => {
      const url = new URL(String(input));
      // The system's resolver is asked by node:http itself, as a connection opens.
      const address = resolver.system
        ? unbracketed(url.hostname)
        : (await resolver.lookup(url.hostname)).address;
      return send(url, address, init ?? {}, agents);
    },
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** A URL's hostname as a socket takes it: an IPv6 literal without its brackets. */
function unbracketed(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1');
}

function send(
  url: URL,
  address: string,
  init: RequestInit,
  agents: { http: HttpAgent; https: HttpsAgent },
): Promise<Response> {
  if (init.body !== undefined && init.body !== null && typeof init.body !== 'string')
    return Promise.reject(new TypeError('resolvingFetch sends string bodies only'));
  const https = url.protocol === 'https:';
  if (!https && url.protocol !== 'http:')
    return Promise.reject(new TypeError(`unsupported protocol ${url.protocol}`));
  const headers = Object.fromEntries(new Headers(init.headers));
  headers.host = url.host;
  if (typeof init.body === 'string') headers['content-length'] = String(Buffer.byteLength(init.body));
  const options = {
    host: address,
    port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    method: init.method ?? 'GET',
    headers,
    ...(init.signal ? { signal: init.signal } : {}),
  };
  return new Promise<Response>((resolve, reject) => {
    const req = https
      ? httpsRequest({
          ...options,
          agent: agents.https,
          servername: unbracketed(url.hostname),
        })
      : httpRequest({ ...options, agent: agents.http });
    req.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
    req.on('response', (res) => {
      read(res)
        .then((body) => resolve(toResponse(res, body)))
        .catch((err: unknown) => reject(new TypeError('fetch failed', { cause: err })));
    });
    req.end(init.body ?? undefined);
  });
}

async function read(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) {
      res.destroy();
      throw new Error(`upstream answer larger than ${maxBodyBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toResponse(res: IncomingMessage, body: Buffer): Response {
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) throw new Error(`upstream answered status ${status}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers))
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, v);
  return new Response(noBody.has(status) ? null : new Uint8Array(body), {
    status,
    statusText: res.statusMessage ?? '',
    headers,
  });
}
