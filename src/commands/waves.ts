import type { CommandRecords } from '../store/index.ts';
import type { SessionDirectory } from '../live/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { KickBreaker } from '../breaker/index.ts';
import { disruptionOf } from '../disruptions/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { FlagService } from '../flags/index.ts';
import type { Bus } from '../live/index.ts';
import type { Directive } from '../sessions/directive.ts';
import type { LiveSession, SessionFilter } from '../sessions/records.ts';
import type { Topology } from '../sessions/index.ts';
import type { CommandRecord } from './records.ts';
import type { Disruption } from '../disruptions/records.ts';
import { type FinishDeps, finishCommand } from './finish.ts';
import { type Selector, toFilter } from './selector.ts';

/** Where a request came from, for the kicks metric. */
export type Source = 'api' | 'cli';

export interface WaveDeps extends FinishDeps {
  store: Pick<CommandRecords, 'getCommand' | 'advanceCommand'>;
  live: Pick<SessionDirectory, 'findSessions' | 'endSessions' | 'putSession'>;
  bus: Bus;
  audit: AuditLog;
  breaker: KickBreaker;
  flags: FlagService;
  topology: Topology;
}

type WaveOutcome =
  | { kind: 'stopped' }
  | { kind: 'ran'; command: CommandRecord; asked: number; ended: number };

/**
 * Runs the waves of a command in state `running`: a canary, a hold, then the rest, each wave
 * re-checking that the selector has not grown past the approved count. Resolves to the command
 * as it ended, or null when it stopped short (halted, here or by someone else; or aborted).
 */
export async function runWaves(
  d: WaveDeps,
  command: CommandRecord,
  actor: string,
  source: Source,
  signal: AbortSignal,
): Promise<CommandRecord | null> {
  const filter = toFilter(command.selector as Selector, d.topology);
  const waves =
    command.policy.canary > 0
      ? [command.policy.canary, Number.POSITIVE_INFINITY]
      : [Number.POSITIVE_INFINITY];
  let current = command;
  for (const [i, size] of waves.entries()) {
    if (i > 0) {
      await sleep(command.policy.holdMs, signal);
      if (signal.aborted) return null;
    }
    const blocked = await blockedBeforeWave(d, command, i);
    if (blocked) {
      await finishCommand(d, current, 'halted', { code: blocked }, 'system', ['running']);
      return null;
    }
    const last = i === waves.length - 1;
    const outcome = await runWave(d, current, filter, size, last, actor, source);
    if (outcome.kind === 'stopped') return null;
    current = outcome.command;
    if (!last && Math.abs(outcome.asked - outcome.ended) > command.policy.tolerance) {
      await finishCommand(d, current, 'halted', { code: 'CANARY_MISMATCH' }, 'system', ['running']);
      return null;
    }
  }
  await d.audit.append({
    actor,
    action: 'command.done',
    target: `command:${command.id}`,
    details: { commandId: command.id, ended: current.progress.ended, waves: current.progress.waves },
    result: 'done',
  });
  d.events.emit('command.changed', { id: command.id, state: 'done', ended: current.progress.ended });
  return current;
}

/** Why wave `i` may not run now, if it may not. */
async function blockedBeforeWave(
  d: WaveDeps,
  command: CommandRecord,
  i: number,
): Promise<'KICK_BREAKER_OPEN' | 'KICKS_DISABLED' | null> {
  // A kick that drew its budget from the breaker (no approvals) was counted under the cap
  // already: a trip by someone else since must not refuse it, or the budget is spent on
  // nothing. Later waves, and approved kicks, stop while the breaker is open.
  const admitted = i === 0 && command.policy.approvals === 0;
  if (!admitted && (await d.breaker.state()).state === 'open') return 'KICK_BREAKER_OPEN';
  // A kill switch thrown mid-command stops it before its next wave.
  if (!d.flags.enabled('kicks.enabled')) return 'KICKS_DISABLED';
  return null;
}

/**
 * One wave: re-resolve the selector, halt on drift, end up to `size` sessions, and write the
 * disruptions with the progress in one compare-and-set; if the command was halted meanwhile,
 * the claimed sessions go back and nothing is written.
 */
async function runWave(
  d: WaveDeps,
  command: CommandRecord,
  filter: SessionFilter,
  size: number,
  last: boolean,
  actor: string,
  source: Source,
): Promise<WaveOutcome> {
  const budget = command.policy.cap - command.progress.ended;
  const matching = await d.live.findSessions(filter, budget + 1);
  if (matching.length > budget) {
    await finishCommand(d, command, 'halted', { code: 'SELECTOR_DRIFT' }, 'system', ['running']);
    return { kind: 'stopped' };
  }
  const targets = matching.slice(0, Math.min(size, matching.length));
  const wave = command.progress.waves + 1;
  await d.audit.append({
    actor,
    action: 'command.wave',
    target: `command:${command.id}`,
    details: { commandId: command.id, wave, sessions: targets.length, canary: !last },
    result: 'accepted',
  });
  const claimed = await d.live.endSessions(targets.map((s) => s.id));
  const written = await writeWave(d, command, claimed, wave, last);
  if (!written) return { kind: 'stopped' };
  await deliverKicks(
    d,
    command,
    claimed.map((s, i) => ({
      node: s.node,
      directive: {
        kind: 'kicked',
        sessionId: s.id,
        commandId: command.id,
        reason: command.reason,
        disruptionId: (written.disruptions[i] as Disruption).id,
      },
    })),
  );
  d.events.emit('session.ended', { cause: 'kick', count: claimed.length, source });
  d.events.emit('command.wave', { id: command.id, wave, asked: targets.length, ended: claimed.length });
  return { kind: 'ran', command: written.command, asked: targets.length, ended: claimed.length };
}

/**
 * Writes a wave's disruptions and the command's progress in one compare-and-set on `running`.
 * When it loses (halted meanwhile) or fails, the claimed sessions go back to live state.
 */
async function writeWave(
  d: WaveDeps,
  command: CommandRecord,
  claimed: readonly LiveSession[],
  wave: number,
  last: boolean,
): Promise<{ command: CommandRecord; disruptions: Disruption[] } | null> {
  const now = d.clock();
  const disruptions = claimed.map((s) => disruptionOf(s, 'kick', now, command.id));
  const next: CommandRecord = {
    ...command,
    state: last ? 'done' : 'running',
    progress: { ended: command.progress.ended + claimed.length, waves: wave },
    finishedAt: last ? now : null,
  };
  let written: boolean;
  try {
    written = await d.store.advanceCommand(next, ['running'], disruptions);
  } catch (err) {
    for (const s of claimed) await d.live.putSession(s);
    throw new LifelineError(
      'STORE_UNAVAILABLE',
      'The wave was not applied: its records could not be written',
      {
        cause: err,
      },
    );
  }
  if (!written) {
    for (const s of claimed) await d.live.putSession(s);
    return null;
  }
  return { command: next, disruptions };
}

/** Tries after which an undelivered kick is left to the node's own reconcile, and the wait before each. */
const DELIVERY_RETRIES_MS = [250, 1000, 4000];

/**
 * Tells each session's node to close its socket. The wave is written by now, so a delivery that
 * fails (the bus busy or away) must not undo or abort it: it is tried again a few times, and what
 * still fails is logged with its count. Before, one failed publish among 18,000 rejected the
 * whole wave after its records were written, and left the command running.
 */
async function deliverKicks(
  d: WaveDeps,
  command: CommandRecord,
  kicks: readonly { node: string; directive: Directive }[],
): Promise<void> {
  let pending = kicks;
  let lastError: unknown;
  for (const waitMs of [0, ...DELIVERY_RETRIES_MS]) {
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    const results = await Promise.allSettled(pending.map((k) => d.bus.deliver(k.node, k.directive)));
    const failed = pending.filter((_, i) => results[i]?.status === 'rejected');
    lastError = results.find((r) => r.status === 'rejected')?.reason ?? lastError;
    if (failed.length === 0) return;
    pending = failed;
  }
  d.logger.error(
    { err: lastError, commandId: command.id, undelivered: pending.length },
    'kicks were recorded but their sockets could not be told; those sockets close when their node reconciles',
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
