/**
 * Bans from a list (`lifeline ban --from FILE`): every entry is checked before anything is
 * written, so one bad line bans nobody; the guard is a kick's, tiered on the list's size; the
 * bans are then written in bounded batches, each audited before it takes effect.
 */
import type { AuditLog } from '../audit/index.ts';
import { type PolicySettings, policyFor } from '../commands/index.ts';
import { LifelineError } from '../errors/index.ts';
import { uuid7 } from '../ids/index.ts';
import type { OperatorService } from '../operators/index.ts';
import type { Operator } from '../operators/records.ts';
import type { BanRecords } from '../store/index.ts';
import type { Ban } from './records.ts';
import type { LiveSession } from '../sessions/records.ts';
import { type BanRequest, checkDuration, inputProblem } from './rules.ts';

/** What a list needs of the ban service: one ban drafted, a player's sessions, one ban applied. */
export interface BanApplier {
  draft(input: BanRequest, operator: Operator, now: number): Ban;
  sessionsOf(playerId: string): Promise<LiveSession[]>;
  apply(ban: Ban, live: readonly LiveSession[]): Promise<{ written: boolean; sessionsEnded: number }>;
}

/** The most entries one list may hold: more is a job for several lists, each its own audit trail. */
export const BAN_LIST_MAX = 10_000;
/** Bans written per batch: one audit append, then these players' sessions and bans. */
export const BAN_BATCH = 100;

export interface BanListRequest {
  /** In the file's order; a reason of its own, or the list's. */
  entries: readonly { playerId: string; reason?: string }[];
  /** The reason of entries that carry none. */
  reason?: string;
  durationSeconds?: number;
  totp?: string;
}

export interface BanListOutcome {
  /** Players banned now. */
  banned: number;
  /** Players already under a ban standing: left as they are. */
  alreadyBanned: string[];
  sessionsEnded: number;
  /** The guard the list met (a kick's, by its size). */
  tier: string;
  batches: number;
  expiresAt: number | null;
}

export interface BanListDeps {
  bans: BanApplier;
  store: Pick<BanRecords, 'listBans'>;
  audit: AuditLog;
  operators: OperatorService;
  policy: PolicySettings;
  clock: () => number;
}

/** The entries with their reasons resolved; throws `VALIDATION_FAILED` naming the first bad one. */
export function checkList(req: BanListRequest): { playerId: string; reason: string }[] {
  if (req.entries.length === 0) throw new LifelineError('VALIDATION_FAILED', 'The list is empty');
  if (req.entries.length > BAN_LIST_MAX)
    throw new LifelineError('VALIDATION_FAILED', `A list holds at most ${BAN_LIST_MAX} players`, {
      details: { field: 'entries', count: req.entries.length, max: BAN_LIST_MAX },
    });
  checkDuration(req.durationSeconds);
  const seen = new Set<string>();
  return req.entries.map((e, index) => {
    const reason = e.reason ?? req.reason ?? '';
    const problem = inputProblem(e.playerId, reason);
    const message =
      problem?.message ?? (seen.has(e.playerId) ? `Player ${e.playerId} is listed twice` : undefined);
    if (message !== undefined)
      throw new LifelineError('VALIDATION_FAILED', `entries[${index}]: ${message}`, {
        details: { index, field: problem?.field ?? 'playerId', playerId: e.playerId.slice(0, 128) },
      });
    seen.add(e.playerId);
    return { playerId: e.playerId, reason };
  });
}

/**
 * Bans every listed player not banned already. Bad input bans nobody; so does a refused guard.
 * A storage failure mid-list leaves the batches before it applied (each audited, each ban one
 * transaction): the answer's error says so, and running the same list again bans the rest.
 */
export async function banList(
  d: BanListDeps,
  req: BanListRequest,
  operator: Operator,
): Promise<BanListOutcome> {
  const entries = checkList(req);
  await d.operators.authorize(operator, 'bans.write', 'bans');
  // A kick's guard, by the count: more than one needs TOTP, more than smallMaxSessions is the
  // bulk tier (admin; bans.write is admin's already).
  const policy = policyFor(entries.length, false, d.policy);
  if (req.totp !== undefined) await d.operators.stepUp(operator, req.totp);
  if (policy.totp && req.totp === undefined) throw new LifelineError('TOTP_REQUIRED');
  const standing = new Set<string>();
  const ids = entries.map((e) => e.playerId);
  for (let i = 0; i < ids.length; i += BAN_LIST_MAX / 10) {
    const chunk = ids.slice(i, i + BAN_LIST_MAX / 10);
    const now = d.clock();
    for (const b of await d.store.listBans({ playerIds: chunk, limit: chunk.length, activeAt: now }))
      standing.add(b.playerId);
  }
  const todo = entries.filter((e) => !standing.has(e.playerId));
  const now = d.clock();
  const listId = `banlist-${uuid7(now)}`;
  await d.audit.append({
    actor: operator.name,
    action: 'player.ban.list',
    target: 'bans',
    details: {
      listId,
      count: entries.length,
      toBan: todo.length,
      alreadyBanned: entries.length - todo.length,
      tier: policy.tier,
      durationSeconds: req.durationSeconds ?? null,
    },
    result: 'accepted',
  });
  const outcome: BanListOutcome = {
    banned: 0,
    alreadyBanned: entries.filter((e) => standing.has(e.playerId)).map((e) => e.playerId),
    sessionsEnded: 0,
    tier: policy.tier,
    batches: 0,
    expiresAt: req.durationSeconds === undefined ? null : now + req.durationSeconds * 1000,
  };
  for (let i = 0; i < todo.length; i += BAN_BATCH) {
    await banBatch(d, todo.slice(i, i + BAN_BATCH), req, operator, listId, outcome);
    outcome.batches++;
  }
  return outcome;
}

async function banBatch(
  d: BanListDeps,
  batch: readonly { playerId: string; reason: string }[],
  req: BanListRequest,
  operator: Operator,
  listId: string,
  outcome: BanListOutcome,
): Promise<void> {
  const now = d.clock();
  const planned: { ban: Ban; live: LiveSession[] }[] = [];
  for (const e of batch) {
    const input = {
      ...e,
      ...(req.durationSeconds === undefined ? {} : { durationSeconds: req.durationSeconds }),
    };
    planned.push({ ban: d.bans.draft(input, operator, now), live: await d.bans.sessionsOf(e.playerId) });
  }
  await d.audit.appendMany(
    planned.map(({ ban, live }) => ({
      actor: operator.name,
      action: 'player.ban',
      target: `player:${ban.playerId}`,
      details: {
        banId: ban.id,
        reason: ban.reason,
        sessions: live.length,
        expiresAt: ban.expiresAt,
        durationSeconds: req.durationSeconds ?? null,
        listId,
      },
      result: 'accepted',
    })),
  );
  for (const { ban, live } of planned) {
    const applied = await d.bans.apply(ban, live);
    if (applied.written) outcome.banned++;
    else outcome.alreadyBanned.push(ban.playerId);
    outcome.sessionsEnded += applied.sessionsEnded;
  }
}
