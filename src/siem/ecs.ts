/**
 * The audit stream in Elastic Common Schema: one JSON document per audit entry, the schema that
 * docs/SIEM.md documents field by field, so that a Splunk or ELK rule can match on
 * `event.action`, `event.outcome` and `user.name` without knowing Lifeline. Lifeline's own
 * fields (the chain's seq and hashes, the target, the details) sit under `lifeline.audit`.
 */
import type { AuditEntry } from '../audit/records.ts';

/** The ECS version the documents follow. */
export const ecsVersion = '8.11.0';

/** Audit results that mean the action did not happen; everything that did is a success. */
const failures = new Set(['denied', 'locked', 'refused', 'rejected', 'failed', 'error', 'expired', 'halted']);
const successes = new Set([
  'accepted',
  'done',
  'recorded',
  'ok',
  'open',
  'closed',
  'running',
  'pending-enrolment',
]);

/** ECS `event.outcome` for an audit result. */
export function outcomeOf(result: string): 'success' | 'failure' | 'unknown' {
  if (failures.has(result)) return 'failure';
  if (successes.has(result)) return 'success';
  return 'unknown';
}

/** ECS `event.category` by the action's first word (`operator.add` → iam). */
function categoryOf(action: string): string[] {
  const head = action.split(/[.:]/)[0] ?? '';
  if (['operator', 'operators', 'stepup', 'totp', 'auth', 'login', 'token', 'keys'].includes(head))
    return ['iam'];
  if (['flag', 'flags', 'config', 'breaker'].includes(head)) return ['configuration'];
  return ['configuration'];
}

export function toEcs(entry: AuditEntry, node: string): Record<string, unknown> {
  const outcome = outcomeOf(entry.result);
  return {
    '@timestamp': new Date(entry.at).toISOString(),
    ecs: { version: ecsVersion },
    message: `${entry.actor} ${entry.action} ${entry.target}: ${entry.result}`,
    event: {
      kind: 'event',
      category: categoryOf(entry.action),
      type: [outcome === 'failure' ? 'denied' : 'change'],
      action: entry.action,
      outcome,
      sequence: entry.seq,
      id: entry.hash,
      dataset: 'lifeline.audit',
      provider: 'lifeline',
      module: 'lifeline',
    },
    user: { name: entry.actor },
    service: { name: 'lifeline', type: 'lifeline', node: { name: node } },
    observer: { product: 'Lifeline', vendor: 'Lifeline', type: 'audit' },
    lifeline: {
      audit: {
        seq: entry.seq,
        target: entry.target,
        result: entry.result,
        details: entry.details,
        prev_hash: entry.prevHash,
        hash: entry.hash,
      },
    },
  };
}
