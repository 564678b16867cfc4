/**
 * The notification outbox, written once over the driver: a message is stored before any attempt
 * to send it, and a pending one with the same destination and dedup key is replaced, not queued
 * twice. Every state change after that is a compare-and-set on the message's version, so a send
 * that raced a replacement never marks the newer text as sent.
 *
 * Statements (each dialect's `outbox.ts` gives their text):
 * outboxEnqueue (id, destination, dedup_key, payload, created_at, next_attempt_at) -> id, version,
 *   replacing the pending row of (destination, dedup_key) if there is one ·
 * outboxDue (destination, now, limit), oldest first · outboxSent (at, id, version) ·
 * outboxRetry (next_attempt_at, last_error, id, version), counting the attempt ·
 * outboxDead (at, last_error, id, version) · outboxList (destination?, state?, limit) ·
 * outboxPurge (before, limit): sent or dead messages settled at or before `before`
 */
import type { OutboxMessage, OutboxQuery } from '../../routing/records.ts';
import { num, numOrNull, type Row, str, strOrNull } from '../rows.ts';
import type { Sql } from './driver.ts';

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { unparseable: text };
  }
}

export function toOutbox(r: Row): OutboxMessage {
  return {
    id: str(r.id),
    destination: str(r.destination),
    dedupKey: str(r.dedup_key),
    payload: parse(str(r.payload)),
    createdAt: num(r.created_at),
    version: num(r.version),
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    lastError: strOrNull(r.last_error),
    sentAt: numOrNull(r.sent_at),
    deadAt: numOrNull(r.dead_at),
  };
}

export async function enqueueOutbox(
  { d, q }: Sql,
  m: OutboxMessage,
): Promise<{ id: string; replaced: boolean }> {
  const r = await d.one(q.outboxEnqueue, [
    m.id,
    m.destination,
    m.dedupKey,
    JSON.stringify(m.payload),
    m.createdAt,
    m.nextAttemptAt,
  ]);
  const id = str(r?.id);
  return { id, replaced: id !== m.id };
}

export async function dueOutbox({ d, q }: Sql, destination: string, now: number, limit: number) {
  return (await d.all(q.outboxDue, [destination, now, limit])).map(toOutbox);
}

export async function listOutbox({ d, q }: Sql, query: OutboxQuery): Promise<OutboxMessage[]> {
  const rows = await d.all(q.outboxList, [
    query.destination ?? null,
    query.state ?? null,
    query.limit ?? 100,
  ]);
  return rows.map(toOutbox);
}

export async function changed({ d }: Sql, text: string, params: readonly unknown[]): Promise<boolean> {
  return (await d.run(text, params)) > 0;
}
