/** Who may act on the admin plane: operators, their roles and enrolments (stored by the Operators port). */

export const roles = ['viewer', 'operator', 'admin', 'auditor'] as const;
export type Role = (typeof roles)[number];

export interface Operator {
  id: string;
  name: string;
  role: Role;
  /** SHA-256 of the bearer secret, hex. The secret itself is shown once and never stored. */
  tokenHash: string;
  /**
   * The TOTP secret for step-up, sealed under the KEK (context `totp:<id>`); null until the
   * operator enrols. A plain base32 value is one stored before sealing, converted at start.
   */
  totpSecret: string | null;
  createdAt: number;
  revokedAt: number | null;
  /** When the operator redeemed their enrolment token; null if created directly (CLI). */
  enrolledAt: number | null;
  /** When an approved request last changed the role; null if never. */
  roleChangedAt: number | null;
  /** When the operator last used their token (to the minute); absent if never. */
  lastSeenAt?: number | null;
}

/** A one-time enrolment an approved operator request opens: a SHA-256 over both its parts, and its end. */
export interface Enrolment {
  hash: string;
  expiresAt: number;
}
