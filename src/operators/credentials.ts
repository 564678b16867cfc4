/** Bearer tokens and TOTP secrets at rest. */
import { timingSafeEqual } from 'node:crypto';
import { LifelineError } from '../errors/index.ts';
import { Sealer } from '../secrets/index.ts';
import type { Operator } from './records.ts';
import { hashSecret, type OperatorServiceDeps, TOKEN_PREFIX } from './deps.ts';

/** Seals TOTP secrets stored plain before sealing existed; returns how many it converted. */
export async function sealStoredSecrets(d: OperatorServiceDeps): Promise<number> {
  let sealed = 0;
  for (const o of await d.store.listOperators()) {
    if (o.totpSecret === null || Sealer.isSealed(o.totpSecret)) continue;
    const to = d.sealer.seal(o.totpSecret, `totp:${o.id}`);
    if (await d.store.replaceTotpSecret(o.id, o.totpSecret, to)) sealed++;
  }
  return sealed;
}

/** Resolves a bearer token to an active, enrolled operator, or throws OPERATOR_UNAUTHENTICATED. */
export async function authenticate(d: OperatorServiceDeps, token: string | undefined): Promise<Operator> {
  const fail = (): never => {
    throw new LifelineError('OPERATOR_UNAUTHENTICATED');
  };
  if (!token?.startsWith(TOKEN_PREFIX)) return fail();
  const dot = token.indexOf('.');
  if (dot < 0) return fail();
  const id = token.slice(TOKEN_PREFIX.length, dot);
  const operator = await d.store.findOperator({ id });
  if (!operator || operator.revokedAt !== null || operator.tokenHash === '') return fail();
  const given = Buffer.from(hashSecret(token.slice(dot + 1)), 'hex');
  const stored = Buffer.from(operator.tokenHash, 'hex');
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) return fail();
  await markSeen(d, operator);
  return operator;
}

/** Last use is kept to the minute: at most one write a minute per operator, whatever the traffic. */
const SEEN_GRANULARITY_MS = 60_000;

async function markSeen(d: OperatorServiceDeps, operator: Operator): Promise<void> {
  const now = d.clock();
  if (operator.lastSeenAt != null && now - operator.lastSeenAt < SEEN_GRANULARITY_MS) return;
  // Last use is a hint for operators reading the list: a store hiccup must not refuse the request.
  await d.store.markOperatorSeen(operator.id, now, now - SEEN_GRANULARITY_MS).catch(() => undefined);
}
