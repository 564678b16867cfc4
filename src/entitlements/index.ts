/**
 * The entitlement port: which licence does a player hold? The static source answers from config
 * (and an optional JSON file); the HTTP upstream with its last-known-good fallback comes later.
 */
import { readFileSync } from 'node:fs';
import { LifelineError } from '../errors/index.ts';

export interface Entitlement {
  licence: string;
  /** True when the answer is a fallback (last known good), not a fresh one from the source. */
  provisional: boolean;
}

export interface EntitlementSource {
  readonly kind: string;
  entitlementFor(playerId: string): Promise<Entitlement>;
}

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
  source: 'static';
  defaultLicence: string;
  licences: Record<string, string>;
  file?: string | undefined;
};

export function createEntitlements(spec: EntitlementSpec): EntitlementSource {
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
