/**
 * Operator actions over the admin API, as an operator at the console would take them: guarded
 * kicks (a second admin approves with TOTP), a runaway script kicking one session at a time
 * (seed 000), paced restores (paused and resumed), flags, declaring and ending an outage, moving
 * the incident Lifeline declared. What the breaker did to the kicks is counted here, from
 * Lifeline's own answers.
 */
import type { Action, Selector } from '../scenario/index.ts';
import { type AdminApi, AdminError } from './admin.ts';
import type { DrillClock } from './clock.ts';
import { type DrillOperator, stepUp } from './operators.ts';

/** What the drill's kicks did: read by the `maxKickedBeforeTrip` objective. */
export interface KickTally {
  /** Sessions ended by kicks before the first KICK_BREAKER_OPEN refusal. */
  kickedBeforeTrip: number;
  kicked: number;
  /** Scenario second of the first KICK_BREAKER_OPEN refusal, or null if the breaker never refused. */
  trippedAt: number | null;
  refused: Record<string, number>;
}

export interface ActionContext {
  admin: AdminApi;
  ops: readonly DrillOperator[];
  clock: DrillClock;
  signal: AbortSignal;
  /** The restore's downstream health URL, when the drill runs a game backend. */
  healthUrl: string | undefined;
  tally: KickTally;
  /** Each kick's command ids and its span on the wall clock (a restore names the kick). */
  kicks: Map<string, KickSpan>;
  /** Restores started, for the RPO check to wait on. */
  restores: string[];
  /** Background work (a runaway script) to wait for before measuring. */
  background: Promise<unknown>[];
}

/** A kick action on the wall clock: its commands, and when its first request went out and its first accepted one was answered. */
export interface KickSpan {
  commandIds: string[];
  fromMs: number;
  toMs: number;
  /** When the first kick request was sent (the RTO's onset). */
  firstSentMs?: number;
  /** When the first kick Lifeline accepted was answered: its record of the kick falls between the two. */
  firstAcceptedMs?: number;
}

export function newTally(): KickTally {
  return { kickedBeforeTrip: 0, kicked: 0, trippedAt: null, refused: {} };
}

function kickSelector(s: Selector | undefined): Record<string, unknown> {
  if (s === undefined || s.all) return { all: true };
  return { ...(s.region ? { region: s.region } : {}), ...(s.shard ? { shard: s.shard } : {}) };
}

function countKick(ctx: ActionContext, ended: number): void {
  ctx.tally.kicked += ended;
  if (ctx.tally.trippedAt === null) ctx.tally.kickedBeforeTrip += ended;
}

function countRefusal(ctx: ActionContext, err: unknown): void {
  const code = err instanceof AdminError ? err.code : 'NETWORK';
  ctx.tally.refused[code] = (ctx.tally.refused[code] ?? 0) + 1;
  if (code === 'KICK_BREAKER_OPEN' && ctx.tally.trippedAt === null) ctx.tally.trippedAt = ctx.clock.now();
}

/** A guarded kick: requested by one admin with TOTP, approved by another when the policy asks. */
async function kick(ctx: ActionContext, a: Extract<Action, { do: 'kick' }>): Promise<string> {
  const requester = await stepUp(ctx.ops);
  const fromMs = Date.now();
  const first = { firstSentMs: fromMs };
  try {
    const body = {
      action: 'kick',
      selector: kickSelector(a.selector),
      reason: a.reason,
      totp: requester.totp,
    };
    const res = await ctx.admin.call<{ command: { id: string }; ended?: number }>(
      'POST',
      '/commands',
      requester.op,
      body,
    );
    ctx.kicks.set(a.id, {
      commandIds: [res.command.id],
      fromMs,
      toMs: Date.now(),
      ...first,
      firstAcceptedMs: Date.now(),
    });
    if (res.ended !== undefined) {
      countKick(ctx, res.ended);
      return `${res.ended} kicked`;
    }
    const approver = await stepUp(ctx.ops, requester.op);
    await ctx.admin.call('POST', `/commands/${res.command.id}/approve`, approver.op, { totp: approver.totp });
    const ended = await untilCommandDone(ctx, res.command.id, approver.op);
    const span = ctx.kicks.get(a.id);
    ctx.kicks.set(a.id, { ...span, commandIds: [res.command.id], fromMs, toMs: Date.now() });
    countKick(ctx, ended);
    return `approved by ${approver.op.name}, ${ended} kicked`;
  } catch (err) {
    countRefusal(ctx, err);
    throw err;
  }
}

async function untilCommandDone(ctx: ActionContext, id: string, op: DrillOperator): Promise<number> {
  for (;;) {
    const { command } = await ctx.admin.call<{ command: { state: string; progress: { ended: number } } }>(
      'GET',
      `/commands/${id}`,
      op,
    );
    if (['done', 'halted', 'rejected'].includes(command.state) || ctx.signal.aborted)
      return command.progress.ended;
    await new Promise((r) => setTimeout(r, 250));
  }
}

type Runaway = Extract<Action, { do: 'runaway-kick' }>;

async function kickOne(
  ctx: ActionContext,
  op: DrillOperator,
  sessionId: string,
  reason: string,
  span: KickSpan,
) {
  try {
    const body = { action: 'kick', selector: { sessionId }, reason };
    const res = await ctx.admin.call<{ command: { id: string }; ended: number }>(
      'POST',
      '/commands',
      op,
      body,
    );
    span.firstAcceptedMs ??= Date.now();
    span.commandIds.push(res.command.id);
    countKick(ctx, res.ended);
  } catch (err) {
    countRefusal(ctx, err);
  }
}

async function sessionsToKick(ctx: ActionContext, op: DrillOperator, a: Runaway): Promise<string[]> {
  const q = new URLSearchParams({ limit: '1000' });
  if (a.selector?.region) q.set('region', a.selector.region);
  if (a.selector?.shard) q.set('shard', a.selector.shard);
  const res = await ctx.admin.call<{ sessions: { id: string }[] }>('GET', `/sessions?${q}`, op);
  return res.sessions.map((s) => s.id);
}

/** The script: one single-session kick after another at its rate, blind to refusals, until its time is up. */
async function runawayScript(ctx: ActionContext, a: Runaway, op: DrillOperator): Promise<void> {
  const start = ctx.clock.now();
  const entry: KickSpan = { commandIds: [], fromMs: Date.now(), toMs: Date.now() };
  ctx.kicks.set(a.id, entry);
  let sent = 0;
  let queue: string[] = [];
  while (!ctx.signal.aborted && ctx.clock.now() < start + a.durationSeconds) {
    const due = Math.floor((ctx.clock.now() - start) * a.ratePerSecond);
    if (sent >= due || queue.length === 0) {
      if (queue.length === 0) queue = await sessionsToKick(ctx, op, a).catch(() => []);
      await new Promise((r) => setTimeout(r, queue.length === 0 ? 200 : 20));
      continue;
    }
    const batch = queue.splice(0, Math.min(due - sent, 8));
    entry.firstSentMs ??= Date.now();
    await Promise.all(batch.map((id) => kickOne(ctx, op, id, a.reason, entry)));
    sent += batch.length;
    entry.toMs = Date.now();
  }
}

function restoreSource(ctx: ActionContext, a: Extract<Action, { do: 'restore' }>): Record<string, unknown> {
  const iso = (ms: number) => new Date(ms).toISOString();
  if (a.from.source === 'window') {
    return {
      from: iso(ctx.clock.wallAt(a.from.from)),
      to: iso(ctx.clock.wallAt(a.from.to)),
      ...(a.from.selector ? { selector: kickSelector(a.from.selector) } : {}),
    };
  }
  const kick = ctx.kicks.get(a.from.kick);
  if (kick === undefined) throw new Error(`kick ${a.from.kick} never ran`);
  const [only] = kick.commandIds;
  // A script's many one-session kicks are restored by the window they ran in.
  return kick.commandIds.length === 1 && only !== undefined
    ? { commandId: only }
    : { from: iso(kick.fromMs - 1000), to: iso(kick.toMs + 1000) };
}

async function restore(ctx: ActionContext, a: Extract<Action, { do: 'restore' }>): Promise<string> {
  const { op, totp } = await stepUp(ctx.ops);
  const thresholds = ctx.healthUrl ? { thresholds: { healthUrl: ctx.healthUrl, downstreamP99Ms: 500 } } : {};
  // The pace is the scenario's, on its clock: "200 every 5 s" runs every 5 scenario seconds.
  const pacing =
    a.pacing.mode === 'fixed'
      ? { ...a.pacing, intervalMs: Math.max(10, Math.round(a.pacing.intervalMs / ctx.clock.timeScale)) }
      : { ...a.pacing, maxRate: a.pacing.maxRate * ctx.clock.timeScale };
  const body = { ...restoreSource(ctx, a), pacing, totp, ...thresholds };
  const res = await ctx.admin.call<{ restore: { id: string }; counts: unknown; open: number }>(
    'POST',
    '/restores',
    op,
    body,
  );
  ctx.restores.push(res.restore.id);
  return `restore ${res.restore.id}, ${res.open} to bring back`;
}

async function setFlag(ctx: ActionContext, key: string, value: unknown, reason: string): Promise<undefined> {
  const op = ctx.ops[0];
  if (op === undefined) throw new Error('no operator');
  await ctx.admin.call('PUT', `/flags/${encodeURIComponent(key)}`, op, { value, reason });
  return undefined;
}

/** The operator pauses or resumes the latest restore the drill started. */
async function pauseOrResume(ctx: ActionContext, verb: 'pause' | 'resume', reason: string): Promise<string> {
  const id = ctx.restores.at(-1);
  if (id === undefined) throw new Error('no restore was started');
  const op = ctx.ops[0];
  if (op === undefined) throw new Error('no operator');
  const res = await ctx.admin.call<{ restore: { state: string }; open: number }>(
    'POST',
    `/restores/${id}/${verb}`,
    op,
    { reason },
  );
  return `${id} ${res.restore.state}, ${res.open} open`;
}

interface RunningIncident {
  id: string;
  severity: string;
  status: string;
  declaredAt: number;
}

/**
 * The commander moves the incident Lifeline declared (the newest running one), posting the
 * message as a public update first, as a responder would tell players before the status moves.
 */
async function moveIncident(ctx: ActionContext, a: Extract<Action, { do: 'incident' }>): Promise<string> {
  const op = ctx.ops[0];
  if (op === undefined) throw new Error('no operator');
  const { incidents } = await ctx.admin.call<{ incidents: RunningIncident[] }>(
    'GET',
    '/incidents?status=investigating,identified,monitoring',
    op,
  );
  const incident = [...incidents].sort((x, y) => y.declaredAt - x.declaredAt)[0];
  if (incident === undefined) throw new Error('no incident is running');
  if (a.message !== undefined)
    await ctx.admin.call('POST', `/incidents/${incident.id}/updates`, op, { message: a.message });
  if (incident.status !== a.status)
    await ctx.admin.call('PATCH', `/incidents/${incident.id}/status`, op, {
      status: a.status,
      reason: `drill: ${a.status}`,
    });
  return `incident ${incident.id} (${incident.severity}) ${incident.status} -> ${a.status}`;
}

/** Plays one operator action; long ones (a runaway script) continue in the background. */
export async function playAction(ctx: ActionContext, a: Action): Promise<string | undefined> {
  switch (a.do) {
    case 'kick':
      return kick(ctx, a);
    case 'runaway-kick': {
      const op = ctx.ops[0];
      if (op === undefined) throw new Error('no operator');
      ctx.background.push(runawayScript(ctx, a, op));
      return undefined;
    }
    case 'restore':
      return restore(ctx, a);
    case 'flag':
      return setFlag(ctx, a.key, a.value, `drill: flag ${a.key}`);
    case 'declare-outage':
      return setFlag(ctx, 'outage.declared', true, a.reason);
    case 'end-outage':
      return setFlag(ctx, 'outage.declared', false, 'drill: outage over');
    case 'pause-restore':
      return pauseOrResume(ctx, 'pause', a.reason);
    case 'resume-restore':
      return pauseOrResume(ctx, 'resume', a.reason);
    case 'incident':
      return moveIncident(ctx, a);
  }
}
