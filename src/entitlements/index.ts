/**
 * Entitlements: which licence does a player hold? From a static map (config and an optional JSON
 * file), or from the studio's HTTP service behind a breaker with a last-known-good fallback.
 */
import type { EntitlementMemory } from '../store/index.ts';
import { readFileSync } from 'node:fs';
import type { Fetch } from '../dns/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import { type HttpEntitlementSettings, HttpEntitlements } from './http.ts';
import type { Entitlement, EntitlementSource } from './source.ts';

export { type HttpEntitlementSettings, HttpEntitlements } from './http.ts';
export type { Entitlement, EntitlementSource } from './source.ts';

export class StaticEntitlements implements EntitlementSource {
  readonly kind = 'static';
  readonly #licences: ReadonlyMap<string, string>;
  readonly #defaultLicence: string;

  constructor(licences: Record<string, string>, defaultLicence: string) {
    this.#licences = new Map(Object.entries(licences));
    this.#defaultLicence = defaultLicence;
  }

  async entitlementFor(playerId: string): Promise<Entitlement> {
    return { licence: this.#licences.get(playerId) ?? this.#defaultLicence, provisional: false };
  }
}

export type EntitlementSpec = {
  source: 'static' | 'http';
  defaultLicence: string;
  licences: Record<string, string>;
  file?: string | undefined;
  http: Omit<HttpEntitlementSettings, 'defaultLicence'>;
};

export function createEntitlements(
  spec: EntitlementSpec,
  deps: { store: EntitlementMemory; events: EventStream; clock: () => number; fetch?: Fetch },
): EntitlementSource {
  if (spec.source === 'http') {
    return new HttpEntitlements({ ...deps, settings: { ...spec.http, defaultLicence: spec.defaultLicence } });
  }
  let licences = spec.licences;
  if (spec.file) {
    try {
      licences = { ...(JSON.parse(readFileSync(spec.file, 'utf8')) as Record<string, string>), ...licences };
    } catch (err) {
      throw new LifelineError('CONFIG_UNREADABLE', `Cannot read the entitlements file ${spec.file}`, {
        cause: err,
      });
    }
  }
  return new StaticEntitlements(licences, spec.defaultLicence);
}
