/**
 * The fleet's HTTP: fetch over one keep-alive pool (at most `maxSockets` per node, at most 256
 * kept idle), so that stopping the fleet closes every connection it opened (`destroy`).
 * Answers are read whole into a Response, which is all the SDK needs.
 */
import { Agent, request } from 'node:http';

export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
}

export class HttpPool {
  readonly #agent: Agent;

  constructor(maxSockets = 256) {
    this.#agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: 256 });
  }

  /** One request; rejects on a network error, a timeout or an abort. */
  send(url: string, init: RequestInit, timeoutMs = 30_000): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers = (init.headers ?? {}) as Record<string, string>;
      const req = request(url, {
        method: init.method ?? 'GET',
        agent: this.#agent,
        headers,
        timeout: timeoutMs,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end(typeof init.body === 'string' ? init.body : undefined);
    });
  }

  destroy(): void {
    this.#agent.destroy();
  }
}

/** A Response the SDK can read (status 100-199, 204 and 304 carry no body). */
export function toResponse(a: Answer): Response {
  const empty = a.status === 204 || a.status === 304 || a.body.length === 0;
  const status = a.status >= 200 && a.status <= 599 ? a.status : 502;
  return new Response(empty ? null : new Uint8Array(a.body), { status, headers: a.headers });
}
