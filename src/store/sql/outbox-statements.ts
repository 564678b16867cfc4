/** The outbox's statement names (their parameters are in `outbox.ts`): a leaf, so `statements.ts` can name them. */
export const outboxStatementNames = [
  'outboxEnqueue',
  'outboxDue',
  'outboxSent',
  'outboxRetry',
  'outboxDead',
  'outboxList',
  'outboxPurge',
] as const;
export type OutboxStatementName = (typeof outboxStatementNames)[number];
