/**
 * The seed's clients, for the unprotected baseline: the SDK's LifelineClient with every
 * protection turned off through its options, so both modes share one implementation of the wire
 * protocol and differ only in what they were told:
 *
 * - no jitter: `random` is always 1, so full jitter is always its ceiling, and the backoff's base
 *   and cap are the same fixed pause (`naiveRetryMs`): every retry and every reconnect waits
 *   exactly that long;
 * - no budget: an endless retry budget, so a failing call is retried for as long as it fails;
 * - no Retry-After, no queue tickets: the client's fetch drops `Retry-After` and answers a 202
 *   (a login queued with a ticket, a rejoin told to wait) or any 5xx as a 503, which the SDK
 *   retries after the fixed pause (the same login or rejoin again, never a poll);
 * - refresh at exactly 80% of the token's life, every client of a wave at once.
 *
 * The fleet's wire counts each answer before this reading of it, so a naive login that was
 * queued is measured as `queued`.
 */
import type { ClientOptions } from '../../sdk/index.ts';

/** A fetch that reads answers the way the seed's clients did. */
function naiveFetch(inner: typeof fetch): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const res = await inner(input, init);
    if (res.status !== 202 && res.status < 500 && !res.headers.has('retry-after')) return res;
    const headers = new Headers(res.headers);
    headers.delete('retry-after');
    const status = res.status === 202 || res.status >= 500 ? 503 : res.status;
    return new Response(await res.arrayBuffer(), { status, headers });
  }) as typeof fetch;
}

/** LifelineClient options that make it one of the seed's clients, retrying every `retryMs`. */
export function naiveOptions(fetch: typeof globalThis.fetch, retryMs: number): Partial<ClientOptions> {
  return {
    fetch: naiveFetch(fetch),
    random: () => 1,
    backoff: { baseMs: retryMs, capMs: retryMs },
    retryBudget: { burst: Number.POSITIVE_INFINITY, perSecond: 0 },
  };
}
