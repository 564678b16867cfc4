/**
 * The identity port: who is this player? Lifeline asks only at login; refresh and rejoin never
 * do, which is what keeps sessions alive while the identity backend is down.
 */
export interface Credential {
  playerId?: string;
  idToken?: string;
}

export interface IdentityProvider {
  readonly kind: string;
  /** Resolves to the verified player id, or throws IDENTITY_REJECTED / IDENTITY_UNAVAILABLE. */
  verify(credential: Credential): Promise<{ playerId: string }>;
}
