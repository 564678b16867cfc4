/** The entitlement port: which licence does a player hold? */
export interface Entitlement {
  licence: string;
  /** True when the answer is a fallback (last known good, or fail-open), not a fresh one. */
  provisional: boolean;
}

export interface EntitlementSource {
  readonly kind: string;
  /** Throws ENTITLEMENT_NONE (the player owns nothing) or ENTITLEMENT_UNAVAILABLE. */
  entitlementFor(playerId: string): Promise<Entitlement>;
  start?(): void;
  stop?(): void;
}
