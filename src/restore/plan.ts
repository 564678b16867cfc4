import type { BanRecords, CommandRecords, DisruptionLedger, RestoreRecords } from '../store/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { Disruption } from '../disruptions/records.ts';
import type { RestoreCounts, RestoreSource } from './records.ts';
import type { RestorePlan } from './types.ts';

type PlanStore = Pick<DisruptionLedger, 'listDisruptions'> &
  Pick<RestoreRecords, 'getRestore' | 'hasNewerSession'> &
  Pick<BanRecords, 'listBans'> &
  Pick<CommandRecords, 'getCommand'>;

const PLAN_LIMIT = 5_000_000;
/** Players asked about per ban lookup. */
const BAN_CHUNK = 1000;
/** The states in which a restore still owns its records. */
export const unfinished = ['running', 'paused'] as const;

/** What a restore of `source` would do now: counts by place and outcome, and what it would release. */
export async function planRestore(
  store: PlanStore,
  source: RestoreSource,
  now: number,
): Promise<RestorePlan> {
  await checkSource(store, source);
  const records = await store.listDisruptions({ ...querySource(source), limit: PLAN_LIMIT });
  const plan: RestorePlan = {
    source,
    total: records.length,
    byRegion: {},
    byShard: {},
    byOutcome: { pending: 0, ticketed: 0, restored: 0, expired: 0, refused: 0 },
    alreadyBack: 0,
    bannedSince: 0,
    overlapping: 0,
    restorable: 0,
  };
  const banned = await bannedAmong(
    store,
    records.filter((d) => d.outcome === 'pending').map((d) => d.playerId),
    now,
  );
  const owned = ownedElsewhere(store);
  for (const d of records) {
    plan.byOutcome[d.outcome as keyof RestoreCounts]++;
    plan.byRegion[d.snapshot.region] = (plan.byRegion[d.snapshot.region] ?? 0) + 1;
    plan.byShard[d.snapshot.shard] = (plan.byShard[d.snapshot.shard] ?? 0) + 1;
    if (d.outcome !== 'pending') continue;
    if (await owned(d)) {
      plan.overlapping++;
      continue;
    }
    if (banned.has(d.playerId)) plan.bannedSince++;
    else if (await store.hasNewerSession(d.playerId, d.at)) plan.alreadyBack++;
    plan.restorable++;
  }
  return plan;
}

/** Whether a record belongs to an unfinished restore; each owner is looked up once. */
function ownedElsewhere(store: PlanStore): (d: Disruption) => Promise<boolean> {
  const owners = new Map<string, boolean>();
  return async (d) => {
    if (!d.restoreId) return false;
    if (!owners.has(d.restoreId)) {
      const owner = await store.getRestore(d.restoreId);
      owners.set(d.restoreId, owner !== null && (unfinished as readonly string[]).includes(owner.state));
    }
    return owners.get(d.restoreId) === true;
  };
}

/** The players among `playerIds` under a ban standing at `now`, asked in chunks of BAN_CHUNK. */
export async function bannedAmong(
  store: Pick<BanRecords, 'listBans'>,
  playerIds: readonly string[],
  now: number,
): Promise<Set<string>> {
  const unique = [...new Set(playerIds)];
  const banned = new Set<string>();
  for (let i = 0; i < unique.length; i += BAN_CHUNK) {
    const chunk = unique.slice(i, i + BAN_CHUNK);
    for (const b of await store.listBans({ playerIds: chunk, limit: chunk.length, activeAt: now }))
      banned.add(b.playerId);
  }
  return banned;
}

async function checkSource(store: Pick<CommandRecords, 'getCommand'>, source: RestoreSource): Promise<void> {
  const byCommand = source.commandId !== undefined;
  const byWindow = source.from !== undefined && source.to !== undefined;
  if (byCommand === byWindow || (byCommand && source.selector !== undefined))
    throw new LifelineError('RESTORE_SOURCE_INVALID');
  if (byWindow && (source.from as number) > (source.to as number)) {
    throw new LifelineError('RESTORE_SOURCE_INVALID', '"from" is after "to"');
  }
  if (byCommand) {
    const command = await store.getCommand(source.commandId as string);
    if (!command) throw new LifelineError('COMMAND_NOT_FOUND', `No command ${source.commandId}`);
    if (command.state === 'awaiting-approval' || command.state === 'running' || command.state === 'planned') {
      throw new LifelineError('COMMAND_STILL_RUNNING');
    }
  }
}

function querySource(s: RestoreSource) {
  return {
    commandId: s.commandId,
    from: s.from,
    to: s.to,
    region: s.selector?.region,
    shard: s.selector?.shard,
    zone: s.selector?.zone,
  };
}
