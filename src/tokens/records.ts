/** The durable side of tokens: session grants (refresh families) and the keys that sign and MAC. */
import type { RestoreSnapshot } from '../disruptions/records.ts';

/**
 * A session grant: the durable side of a session. It holds the refresh-token family (the
 * generation now valid) and the restore snapshot, so a session outlives a Lifeline restart.
 */
export interface Grant {
  sessionId: string;
  playerId: string;
  familyId: string;
  generation: number;
  snapshot: RestoreSnapshot;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
  /** When the family last rotated (null or absent: not since it was opened). */
  rotatedAt?: number | null;
  /**
   * The retry key (a digest) of the refresh that last rotated the family, when it carried one:
   * that client retrying that refresh gets the current tokens (src/store/sql/grants.ts).
   */
  rotatedKey?: string | null;
}

/** What `rotateGrant` found, so the caller can tell a valid refresh from a replayed one. */
export type RotateOutcome =
  | { kind: 'rotated'; grant: Grant }
  | { kind: 'reused'; grant: Grant }
  /** The generation just spent, presented again within the reuse grace: answered with the current one. */
  | { kind: 'grace'; grant: Grant }
  | { kind: 'revoked'; grant: Grant }
  | { kind: 'expired'; grant: Grant }
  | { kind: 'unknown' };

/** A key that signs access tokens. */
export interface SigningKey {
  kid: string;
  /** The JWS algorithm it signs with: `EdDSA` (Ed25519) or `ES256` (P-256). */
  alg: string;
  /**
   * The PKCS#8 PEM private key sealed by the Sealer (context `signing-key:<kid>`). A store written
   * before sealing holds the plain PEM here until the first start converts it.
   */
  sealedKey: string;
  createdAt: number;
  /**
   * When no token it signed can still be valid: from then on it neither signs nor verifies. It may
   * lie ahead (a key kept in clear before an upgrade verifies until then but no longer signs).
   */
  retiredAt: number | null;
}

/** A key that MACs refresh and resume tokens, which carry its kid. */
export interface MacKey {
  kid: string;
  /** The 32 random key bytes sealed by the Sealer (context `mac-key:<kid>`). */
  sealedKey: string;
  createdAt: number;
  retiredAt: number | null;
}
