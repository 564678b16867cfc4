/**
 * A new operator's enrolment secret comes in two parts, so that neither admin of the request can
 * enrol the new operator (and so hold a second admin identity) alone: the requester's part,
 * answered once to the admin who asks, and the approver's part (the `lle_` token), answered once
 * to the admin who approves. The new operator redeems with both.
 *
 * Neither part is stored in clear: the command record keeps the SHA-256 of the requester's part,
 * and the operator row keeps SHA-256(SHA-256(requester's part) ‖ approver's part) as its
 * enrolment hash, so a database reader learns neither part, and parts from two different requests
 * do not combine. Each part carries 256 random bits, so a fast hash is enough.
 */
import { createHash, randomBytes } from 'node:crypto';

const REQUESTER_PREFIX = 'llr_';
const REQUESTER_PART = /^llr_[A-Za-z0-9_-]{43}$/;
const HASH = /^[0-9a-f]{64}$/;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A fresh requester's part, to answer once, and the hash the command record keeps of it. */
export function newRequesterPart(): { part: string; hash: string } {
  const part = `${REQUESTER_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { part, hash: sha256(part) };
}

/** The hash of a requester's part as the command record keeps it; null unless it is shaped right. */
export function hashRequesterPart(part: unknown): string | null {
  return typeof part === 'string' && REQUESTER_PART.test(part) ? sha256(part) : null;
}

/** True for a requester's part hash as `newRequesterPart` makes it. */
export function isRequesterPartHash(value: unknown): value is string {
  return typeof value === 'string' && HASH.test(value);
}

/** What the operator row keeps to redeem against: bound to both parts, revealing neither. */
export function enrolmentHash(requesterPartHash: string, approverPart: string): string {
  // The first input is always 64 hex characters, so the concatenation is unambiguous.
  return sha256(`${requesterPartHash}${approverPart}`);
}
