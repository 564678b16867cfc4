/** Commands (compare-and-set on their state) and the disruptions they leave behind. */
import type { CommandQuery, CommandRecord, CommandState } from '../../commands/records.ts';
import type { Disruption, DisruptionQuery } from '../../disruptions/records.ts';
import { commandParams, disruptionParams, str, toCommand, toDisruption } from '../rows.ts';
import type { Sql, SqlRunner } from './driver.ts';

export async function recordCommand({ d, q }: Sql, c: CommandRecord, ds: readonly Disruption[]) {
  await d.tx(async (t) => {
    await t.run(q.commandUpsert, commandParams(c));
    await insertDisruptions(t, { d, q }, ds);
  });
}

/** Writes `c` only if its stored state is still one of `from` (the row is held meanwhile). */
export async function advanceCommand(
  { d, q }: Sql,
  c: CommandRecord,
  from: readonly CommandState[],
  ds: readonly Disruption[],
): Promise<boolean> {
  return d.tx(async (t) => {
    const row = await t.one(q.commandStateLocked, [c.id]);
    if (!row || !from.includes(str(row.state) as CommandState)) return false;
    await t.run(q.commandUpsert, commandParams(c));
    await insertDisruptions(t, { d, q }, ds);
    return true;
  });
}

export async function listCommands({ d, q }: Sql, states: readonly CommandState[]) {
  if (states.length === 0) return [];
  return (await d.all(q.commandsByStates, [d.list(states)])).map(toCommand);
}

/** A page of commands, newest first, filtered and after a keyset cursor. */
export async function pageCommands({ d, q }: Sql, f: CommandQuery): Promise<CommandRecord[]> {
  const states = f.states === undefined ? null : d.list(f.states);
  const params = [states, f.actor ?? null, f.since ?? null, f.until ?? null];
  const after = [f.after?.at ?? null, f.after?.id ?? ''];
  return (await d.all(q.commandPage, [...params, ...after, f.limit])).map(toCommand);
}

export async function getCommand({ d, q }: Sql, id: string): Promise<CommandRecord | null> {
  const r = await d.one(q.commandById, [id]);
  return r ? toCommand(r) : null;
}

export async function recordDisruptions(s: Sql, batch: readonly Disruption[], endGrants: boolean) {
  if (batch.length === 0) return;
  await s.d.tx((t) => insertDisruptions(t, s, batch, endGrants));
}

/**
 * A disrupted session's grant ends with it (unless `endGrants` is false: a node's loss, which
 * ends no session): the player comes back through a restore (with a new session), never by
 * refreshing the old one. A command's wave (one command, one instant) revokes its grants in one
 * set-based statement; any other batch revokes session by session, the first disruption of a
 * session giving the time and reason.
 */
async function insertDisruptions(
  t: SqlRunner,
  { q }: Sql,
  batch: readonly Disruption[],
  endGrants = true,
): Promise<void> {
  const first = batch[0];
  if (!first) return;
  await t.batch(q.disruptionInsert, batch.map(disruptionParams));
  if (!endGrants) return;
  const wave =
    first.commandId !== null && batch.every((x) => x.commandId === first.commandId && x.at === first.at);
  if (wave) await t.run(q.grantRevokeForCommand, [first.at, first.cause, first.commandId, first.at]);
  else
    await t.batch(
      q.grantRevokeSession,
      batch.map((x) => [x.at, x.cause, x.sessionId]),
    );
}

export async function listDisruptions({ d, q }: Sql, f: DisruptionQuery): Promise<Disruption[]> {
  const params = [f.commandId, f.playerId, f.from, f.to, f.restoreId, f.region, f.shard, f.zone, f.outcome];
  const after = [f.after?.at ?? null, f.after?.id ?? ''];
  return (await d.all(q.disruptionList, [...params.map((p) => p ?? null), ...after, f.limit ?? 1000])).map(
    toDisruption,
  );
}

/** The newest disruption of a session (`statement` picks by session or by id). */
export async function disruptionBy({ d }: Sql, statement: string, key: string): Promise<Disruption | null> {
  const r = await d.one(statement, [key]);
  return r ? toDisruption(r) : null;
}
