/**
 * The studio's entitlement service, as src/entitlements/http.ts calls it: GET `/<playerId>`,
 * 200 `{licence}` for an owner, 404 for a player who owns nothing.
 */
import { Upstream, type UpstreamOptions } from './upstream.ts';

export interface EntitlementsOptions extends Omit<UpstreamOptions, 'name' | 'handler'> {
  /** Licences by player id. */
  licences?: Record<string, string>;
  /** Asked when `licences` has no entry for a player (a drill's rule: every `owner-<n>` owns the game). */
  licenceOf?: (playerId: string) => string | undefined;
}

export type EntitlementsUpstream = Upstream & {
  /** Gives a player a licence (or takes it away with `undefined`) while the upstream runs. */
  grant(playerId: string, licence: string | undefined): void;
};

export async function entitlementsUpstream(options: EntitlementsOptions = {}): Promise<EntitlementsUpstream> {
  const licences = new Map(Object.entries(options.licences ?? {}));
  const up = await Upstream.start({
    ...options,
    name: 'entitlements',
    handler: ({ method, path }) => {
      if (method !== 'GET') return { status: 405 };
      const playerId = decodeURIComponent(path.slice(1).split('?')[0] ?? '');
      const licence = licences.get(playerId) ?? options.licenceOf?.(playerId);
      return licence === undefined ? { status: 404 } : { status: 200, body: { licence } };
    },
  });
  return Object.assign(up, {
    grant(playerId: string, licence: string | undefined) {
      if (licence === undefined) licences.delete(playerId);
      else licences.set(playerId, licence);
    },
  });
}
