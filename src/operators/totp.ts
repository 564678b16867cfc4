/**
 * TOTP step-up (RFC 6238: SHA-1, 6 digits, 30 s) with 160-bit secrets. Each accepted code moves
 * the operator's last-used time step forward in the record store, so a code, or any older one,
 * is accepted once only, across every node sharing the store.
 */
import type { OperatorRecords } from '../store/index.ts';
import { generateSecret, generateURI, verify } from 'otplib';
import { LifelineError } from '../errors/index.ts';
import type { Operator } from './records.ts';

/** 20 random bytes, base32: the 160 bits RFC 4226 recommends. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(operatorName: string, secret: string): string {
  return generateURI({ issuer: 'Lifeline', label: operatorName, secret });
}

/**
 * Checks `code` for `operator` at `now` and spends it. A code from the previous 30-s step is
 * still accepted (clock skew, a code typed as it rolled over), never one from the future.
 */
export async function spendTotp(
  store: OperatorRecords,
  operator: Operator,
  code: string | undefined,
  now: number,
): Promise<void> {
  if (code === undefined || code === '') throw new LifelineError('TOTP_REQUIRED');
  if (!operator.totpSecret) throw new LifelineError('TOTP_NOT_ENROLLED');
  if (!/^\d{6}$/.test(code)) throw new LifelineError('TOTP_INVALID');
  const result = await verify({
    secret: operator.totpSecret,
    token: code,
    epoch: Math.floor(now / 1000),
    epochTolerance: [30, 0],
  });
  if (!result.valid) throw new LifelineError('TOTP_INVALID');
  // delta is how many 30-s steps from now the code matched (0 or -1 here): its RFC 6238 step.
  if (!(await store.consumeTotpStep(operator.id, Math.floor(now / 30_000) + result.delta)))
    throw new LifelineError('TOTP_REPLAYED');
}
