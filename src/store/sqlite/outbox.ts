/** The SQLite text of the outbox statements (parameters named in `../sql/outbox.ts`). */
import type { OutboxStatementName } from '../sql/outbox-statements.ts';

export const outboxSql = {
  outboxEnqueue: `INSERT INTO outbox (id, destination, dedup_key, payload, state, created_at, updated_at, version,
      attempts, next_attempt_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5, 1, 0, ?6)
    ON CONFLICT (destination, dedup_key) WHERE state = 'pending'
    DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at, version = outbox.version + 1
    RETURNING id, version`,
  outboxDue: `SELECT * FROM outbox WHERE destination = ? AND state = 'pending' AND next_attempt_at <= ?
    ORDER BY created_at, id LIMIT ?`,
  outboxSent: `UPDATE outbox SET state = 'sent', sent_at = ?1, updated_at = ?1
    WHERE id = ?2 AND version = ?3 AND state = 'pending'`,
  outboxRetry: `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?1, last_error = ?2
    WHERE id = ?3 AND version = ?4 AND state = 'pending'`,
  outboxDead: `UPDATE outbox SET state = 'dead', dead_at = ?1, updated_at = ?1, last_error = ?2,
      attempts = attempts + 1 WHERE id = ?3 AND version = ?4 AND state = 'pending'`,
  outboxList: `SELECT * FROM outbox WHERE (?1 IS NULL OR destination = ?1) AND (?2 IS NULL OR state = ?2)
    ORDER BY created_at, id LIMIT ?3`,
  outboxPurge: `DELETE FROM outbox WHERE id IN (
    SELECT id FROM outbox WHERE state IN ('sent', 'dead') AND updated_at <= ? ORDER BY updated_at LIMIT ?)`,
} as const satisfies Record<OutboxStatementName, string>;
