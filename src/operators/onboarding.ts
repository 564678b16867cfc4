/**
 * Operators two admins agreed on: created pending, with a one-time enrolment in two parts, and
 * enrolled by the new operator with both parts.
 */
import { randomBytes } from 'node:crypto';
import { LifelineError } from '../errors/index.ts';
import type { Operator, Role } from './records.ts';
import { ENROLMENT_PREFIX, hashSecret, newId, type OperatorServiceDeps, TOKEN_PREFIX } from './deps.ts';
import { enrolmentHash, hashRequesterPart, isRequesterPartHash } from './enrolment.ts';
import { newTotpSecret, totpUri } from './totp.ts';

/**
 * Creates an operator two admins agreed on: no token and no TOTP secret yet, only a one-time
 * enrolment. The approver's part of it is returned here; it redeems only together with the
 * requester's part (whose hash the request kept), so neither admin can enrol alone.
 */
export async function addPending(
  d: OperatorServiceDeps,
  input: { name: string; role: Role },
  requesterPartHash: unknown,
  actor: string,
  details: Record<string, unknown>,
): Promise<{ operator: Operator; enrolmentToken: string; expiresAt: number }> {
  if (!isRequesterPartHash(requesterPartHash))
    throw new LifelineError('VALIDATION_FAILED', 'This request holds no requester part; ask again');
  const id = newId();
  const secret = randomBytes(32).toString('base64url');
  const enrolmentToken = `${ENROLMENT_PREFIX}${id}.${secret}`;
  const now = d.clock();
  const expiresAt = now + d.settings.enrolmentTtlSeconds * 1000;
  const operator: Operator = {
    id,
    name: input.name,
    role: input.role,
    tokenHash: '',
    totpSecret: null,
    createdAt: now,
    revokedAt: null,
    enrolledAt: null,
    roleChangedAt: null,
  };
  await d.audit.append({
    actor,
    action: 'operator.add',
    target: `operator:${input.name}`,
    details: { ...details, id, role: input.role, enrolmentExpiresAt: expiresAt },
    result: 'pending-enrolment',
  });
  await d.store.addOperator(operator, {
    hash: enrolmentHash(requesterPartHash, enrolmentToken),
    expiresAt,
  });
  return { operator, enrolmentToken, expiresAt };
}

/**
 * Redeems an enrolment with both its parts (the approver's token and the requester's part): the
 * new operator receives their bearer token and TOTP URI, shown once. One code for a missing,
 * unknown, mismatched, spent or expired part, so guessing learns nothing.
 */
export async function enrol(
  d: OperatorServiceDeps,
  token: string,
  requesterPart: unknown,
): Promise<{ operator: Operator; token: string; otpauthUri: string }> {
  const m = /^lle_([0-9a-f]{16})\.[A-Za-z0-9_-]{43}$/.exec(token);
  const requesterPartHash = hashRequesterPart(requesterPart);
  if (!m || requesterPartHash === null) throw new LifelineError('ENROLMENT_INVALID');
  const id = m[1] as string;
  const secret = randomBytes(32).toString('base64url');
  const totp = newTotpSecret();
  const operator = await d.store.redeemEnrolment(id, enrolmentHash(requesterPartHash, token), d.clock(), {
    tokenHash: hashSecret(secret),
    totpSecret: d.sealer.seal(totp, `totp:${id}`),
  });
  if (!operator) throw new LifelineError('ENROLMENT_INVALID');
  await d.audit.append({
    actor: operator.name,
    action: 'operator.enrol',
    target: `operator:${operator.name}`,
    details: { id, role: operator.role },
    result: 'accepted',
  });
  return { operator, token: `${TOKEN_PREFIX}${id}.${secret}`, otpauthUri: totpUri(operator.name, totp) };
}
