/** The breaker's durable state, so every node and a restart see the same trip. */

export interface BreakerState {
  name: string;
  state: 'closed' | 'open';
  changedAt: number;
  changedBy: string;
  reason: string;
}
