/**
 * The studio's identity verifier, as src/identity/http.ts calls it: POST a JSON credential,
 * 200 `{playerId}` for yes, 401 or 403 for no. Every other answer is the fault engine's.
 */
import { Upstream, type UpstreamOptions } from './upstream.ts';

export interface IdentityOptions extends Omit<UpstreamOptions, 'name' | 'handler'> {
  /** Players whose credential is refused with 401. */
  rejected?: Iterable<string>;
  /** Players refused with 403 (known, but not allowed in). */
  forbidden?: Iterable<string>;
  /** Keep the playerId of every request that arrives, faulted or not, in `players` (tests: who called). @defaultValue false */
  recordPlayers?: boolean;
}

/**
 * A verifier that accepts any `playerId` except those listed; `verifyUrl` is what Lifeline's
 * `identity.http.url` takes; `players` lists who called (with `recordPlayers`).
 */
export async function identityUpstream(
  options: IdentityOptions = {},
): Promise<Upstream & { verifyUrl: string; players: string[] }> {
  const players: string[] = [];
  const playerOf = (body: unknown) => (body as { playerId?: unknown } | undefined)?.playerId;
  const rejected = new Set(options.rejected ?? []);
  const forbidden = new Set(options.forbidden ?? []);
  const up = await Upstream.start({
    ...options,
    name: 'identity',
    ...(options.recordPlayers
      ? { observe: ({ body }: { body: unknown }) => void players.push(String(playerOf(body))) }
      : {}),
    handler: ({ method, body }) => {
      if (method !== 'POST') return { status: 405 };
      const playerId = playerOf(body);
      if (typeof playerId !== 'string' || playerId === '' || rejected.has(playerId)) return { status: 401 };
      if (forbidden.has(playerId)) return { status: 403 };
      return { status: 200, body: { playerId } };
    },
  });
  return Object.assign(up, { verifyUrl: `${up.url}/verify`, players });
}
