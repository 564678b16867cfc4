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
  return operator;
}
