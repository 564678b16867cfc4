/**
 * A `fetch` for Lifeline's upstream clients that resolves through the HostResolver. With the
 * system resolver it is the global fetch itself (behaviour unchanged). With `dns.servers`, every
 * request asks the resolver (its cache, or the servers), then connects to that address over
 * node:http(s) with the hostname kept as the Host header and the TLS server name: a request never
 * reaches a name whose answer has lapsed, even over a pooled connection.
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
  if (resolver.system) return { fetch: (input, init) => fetch(input, init), close: () => {} };
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  return {
    fetch: async (input, init) => {
      const url = new URL(String(input));
      const { address } = await resolver.lookup(url.hostname);
      return send(url, address, init ?? {}, agents);
    },
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
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
          servername: url.hostname.replace(/^\[(.*)\]$/, '$1'),
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
