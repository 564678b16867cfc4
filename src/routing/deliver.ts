/**
 * One HTTP attempt to one destination, and what its answer means for the outbox: delivered,
 * retry after the time the destination asked for (429 with `Retry-After`, or Discord's JSON
 * `retry_after` in seconds), retry with backoff (5xx, 408, a network failure, a timeout), or
 * refused for good (any other 4xx: the message or the configuration is wrong, and resending it
 * cannot help). Secrets are added here, at send time: PagerDuty's routing key into the body, the
 * webhook's HMAC-SHA256 signature into headers. Nothing here logs, and what it returns as an
 * error never holds the URL (a Discord or Slack webhook URL is itself a credential).
 */
import { createHmac } from 'node:crypto';
import type { DestinationConfig } from '../config/index.ts';

export type Outcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'throttled'; status: number; retryAfterMs: number | null; error: string }
  | { kind: 'transient'; error: string }
  | { kind: 'refused'; error: string };

/** The header names of the generic webhook's signature. */
export const signatureHeader = 'x-lifeline-signature';
export const timestampHeader = 'x-lifeline-timestamp';

/**
 * `v1=` + hex HMAC-SHA256 under `secret` of `<timestamp>.<body>` (timestamp in Unix seconds, as
 * sent in `X-Lifeline-Timestamp`), as Stripe and Slack sign theirs: a receiver recomputes it over
 * the raw body, compares in constant time, and refuses a timestamp too far from its clock.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What to POST: the body text and headers, secrets added. */
export function request(
  d: DestinationConfig,
  payload: unknown,
  now: number,
): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Lifeline' };
  if (d.kind === 'pagerduty') {
    return { body: JSON.stringify({ routing_key: d.routingKey, ...(payload as object) }), headers };
  }
  const body = JSON.stringify(payload);
  if (d.kind === 'webhook' && d.secret !== undefined) {
    const ts = Math.floor(now / 1000);
    headers[timestampHeader] = String(ts);
    headers[signatureHeader] = webhookSignature(d.secret, ts, body);
  }
  return { body, headers };
}

/** The wait a 429 asks for, in ms: Discord's JSON `retry_after` (seconds, may be fractional) or `Retry-After`. */
export function retryAfterMs(header: string | null, bodyText: string, now: number): number | null {
  try {
    const parsed = JSON.parse(bodyText) as { retry_after?: unknown };
    if (
      typeof parsed.retry_after === 'number' &&
      Number.isFinite(parsed.retry_after) &&
      parsed.retry_after >= 0
    )
      return Math.ceil(parsed.retry_after * 1000);
  } catch {
    // Not JSON: the header decides.
  }
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function networkError(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string }; code?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'network: timed out';
  return `network: ${e.cause?.code ?? e.code ?? e.name ?? 'failed'}`;
}

/** At most `max` bytes of the answer, the rest cancelled: a hostile receiver cannot fill memory. */
async function readCapped(res: Response, max: number): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A broken answer body: what arrived is all there is.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** Sends one message; never throws. */
export async function deliver(
  d: DestinationConfig,
  payload: unknown,
  now: number,
  timeoutMs: number,
): Promise<Outcome> {
  const { body, headers } = request(d, payload, now);
  let res: Response;
  try {
    // A redirect is not followed: it would carry the routing key (or a signed body) to another
    // address; the 3xx is refused like any other answer that is not a success.
    res = await fetch(d.url as string, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { kind: 'transient', error: networkError(err) };
  }
  // Read a bounded answer: a 429's body holds Discord's retry_after; anything else is drained.
  const text = await readCapped(res, 4096);
  if (res.ok) return { kind: 'delivered', status: res.status };
  const error = `HTTP ${res.status}`;
  if (res.status === 429)
    return {
      kind: 'throttled',
      status: 429,
      retryAfterMs: retryAfterMs(res.headers.get('retry-after'), text, now),
      error,
    };
  if (res.status >= 500 || res.status === 408) return { kind: 'transient', error };
  return { kind: 'refused', error };
}
