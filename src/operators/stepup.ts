/**
 * TOTP step-up: a code spent once, wrong and replayed codes audited and counted, and a lock in
 * the store (so on every node) after too many failures within the window.
 */
import { LifelineError } from '../errors/index.ts';
import { Sealer } from '../secrets/index.ts';
import type { Operator } from './records.ts';
import { type OperatorServiceDeps, securityAlert } from './deps.ts';
import { spendTotp } from './totp.ts';

/**
 * Spends a TOTP code of this operator (step-up); throws the TOTP_* codes. Wrong and replayed
 * codes are audited (never the code) and counted; reaching `maxFailures` within the window
 * locks the operator's step-up for `lockSeconds`, in the store, so on every node.
 */
export async function stepUp(
  d: OperatorServiceDeps,
  operator: Operator,
  code: string | undefined,
): Promise<void> {
  const now = d.clock();
  const lockedUntil = await d.store.stepUpLockedUntil(operator.id);
  if (lockedUntil !== null && lockedUntil > now) {
    await d.audit.append({
      actor: operator.name,
      action: 'stepup.refused',
      target: `operator:${operator.name}`,
      details: { code: 'TOTP_LOCKED', lockedUntil },
      result: 'denied',
    });
    throw locked(lockedUntil, now);
  }
  // Read afresh: the request's copy may predate the start-up conversion or an enrolment.
  const current = (await d.store.findOperator({ id: operator.id })) ?? operator;
  const stored = current.totpSecret;
  // Start-up sealed every plain secret; one found plain now was written straight to the store by
  // someone who cannot seal, so it vouches for nothing.
  if (stored !== null && !Sealer.isSealed(stored)) {
    d.logger?.error({ operator: operator.name }, 'a TOTP secret in the store is not sealed; step-up refused');
    throw new LifelineError('SECRET_CORRUPT', undefined, { details: { context: `totp:${operator.id}` } });
  }
  const secret = stored === null ? null : d.sealer.openText(stored, `totp:${operator.id}`);
  try {
    await spendTotp(d.store, { ...current, totpSecret: secret }, code, now);
  } catch (err) {
    if (err instanceof LifelineError && (err.code === 'TOTP_INVALID' || err.code === 'TOTP_REPLAYED'))
      await failed(d, operator, err.code, now);
    throw err;
  }
}

async function failed(
  d: OperatorServiceDeps,
  operator: Operator,
  reason: string,
  now: number,
): Promise<void> {
  const { maxFailures, windowSeconds, lockSeconds } = d.settings.stepUp;
  await d.audit.append({
    actor: operator.name,
    action: 'stepup.failed',
    target: `operator:${operator.name}`,
    details: { reason },
    result: 'denied',
  });
  const failures = await d.store.recordStepUpFailure(operator.id, now, now - windowSeconds * 1000);
  d.logger?.warn({ operator: operator.name, reason, failures }, 'failed TOTP step-up');
  if (failures < maxFailures) return;
  const until = now + lockSeconds * 1000;
  await d.store.lockStepUp(operator.id, until);
  await d.audit.append({
    actor: operator.name,
    action: 'stepup.locked',
    target: `operator:${operator.name}`,
    details: { failures, windowSeconds, lockedUntil: until },
    result: 'locked',
  });
  securityAlert(d, 'totp-locked', operator.name, `${failures} failed step-ups in ${windowSeconds}s`);
  throw locked(until, now);
}

function locked(until: number, now: number): LifelineError {
  return new LifelineError('TOTP_LOCKED', undefined, {
    details: {
      retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)),
      lockedUntil: new Date(until).toISOString(),
    },
  });
}
