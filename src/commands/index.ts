/**
 * Commands: what operators do to sessions. For now a kick of one player's sessions or of one
 * session; the guarded bulk path (plans, approvals, waves, the kick breaker) builds on this.
 */
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { Bus, LiveSession, LiveState, SessionFilter } from '../live/index.ts';
import { closeCodes } from '../sessions/index.ts';
import type { CommandRecord, Disruption, RecordStore } from '../store/index.ts';
import type { Tokens } from '../tokens/index.ts';

/** Who asks, and through what (for the kicks metric and the audit trail). */
export interface Requester {
  name: string;
  source: 'api' | 'cli';
}

export interface KickRequest {
  selector: { playerId?: string; sessionId?: string };
  reason: string;
}

export interface KickResult {
  command: CommandRecord;
  ended: number;
}

export interface CommandServiceDeps {
  store: RecordStore;
  live: LiveState;
  bus: Bus;
  tokens: Tokens;
  audit: AuditLog;
  events: EventStream;
  clock: () => number;
}

/** A single player has a handful of sessions at most; this bounds a targeted kick. */
const MAX_TARGETED = 100;

export class CommandService {
  readonly #d: CommandServiceDeps;

  constructor(deps: CommandServiceDeps) {
    this.#d = deps;
  }

  async get(id: string): Promise<CommandRecord> {
    const command = await this.#d.store.getCommand(id);
    if (!command) throw new LifelineError('COMMAND_NOT_FOUND', `No command ${id}`);
    return command;
  }

  /**
   * Kicks the sessions the selector names. Order matters: the audit entry lands first, then the
   * sessions are claimed, then command and disruption records are written together; only then
   * are sockets told. If the records cannot be written the claimed sessions are put back, so a
   * storage failure leaves the players connected and nothing half-done.
   */
  async kick(request: KickRequest, by: Requester): Promise<KickResult> {
    const d = this.#d;
    const filter = targetFilter(request.selector);
    const found = await d.live.findSessions(filter, MAX_TARGETED);
    if (found.length === 0) throw new LifelineError('NO_MATCHING_SESSIONS');

    const now = d.clock();
    const commandId = `cmd-${randomUUID()}`;
    await d.audit.append({
      actor: by.name,
      action: 'command.kick',
      target: describe(filter),
      details: { commandId, reason: request.reason, sessionIds: found.map((s) => s.id), source: by.source },
      result: 'accepted',
    });

    const claimed = await d.live.endSessions(found.map((s) => s.id));
    const disruptions = claimed.map((s) => disruptionFor(s, commandId, now));
    const command: CommandRecord = {
      id: commandId,
      action: 'kick',
      selector: { ...request.selector },
      reason: request.reason,
      requestedBy: by.name,
      requestedAt: now,
      state: 'done',
      plan: { count: found.length, sample: found.slice(0, 10).map((s) => s.id) },
      progress: { ended: claimed.length },
      finishedAt: now,
    };
    try {
      await d.store.recordCommand(command, disruptions);
      await d.store.revokeGrants(
        claimed.map((s) => s.id),
        now,
        'kick',
      );
    } catch (err) {
      for (const s of claimed) await d.live.putSession(s);
      await d.audit
        .append({
          actor: by.name,
          action: 'command.kick',
          target: describe(filter),
          details: { commandId },
          result: 'failed',
        })
        .catch(() => {});
      throw new LifelineError(
        'STORE_UNAVAILABLE',
        'The kick was not applied: its records could not be written',
        {
          cause: err,
        },
      );
    }

    await Promise.all(
      claimed.map((s, i) =>
        d.bus.deliver(s.node, {
          kind: 'end-session',
          sessionId: s.id,
          closeCode: closeCodes.kicked,
          message: {
            type: 'kicked',
            reason: request.reason,
            commandId,
            resumeToken: d.tokens.issueResume((disruptions[i] as Disruption).id, now),
          },
        }),
      ),
    );
    d.events.emit('session.ended', { cause: 'kick', count: claimed.length, source: by.source });
    await d.audit.append({
      actor: by.name,
      action: 'command.kick',
      target: describe(filter),
      details: { commandId, ended: claimed.length },
      result: 'done',
    });
    return { command, ended: claimed.length };
  }
}

function targetFilter(selector: KickRequest['selector']): SessionFilter {
  const keys = Object.keys(selector).filter((k) => selector[k as keyof typeof selector] !== undefined);
  if (keys.length === 0) throw new LifelineError('SELECTOR_EMPTY');
  if (keys.length > 1) {
    throw new LifelineError('SELECTOR_UNSUPPORTED', 'Name either playerId or sessionId, not both');
  }
  return selector.playerId !== undefined
    ? { playerId: selector.playerId }
    : { sessionId: selector.sessionId as string };
}

function describe(filter: SessionFilter): string {
  return filter.sessionId !== undefined ? `session:${filter.sessionId}` : `player:${filter.playerId}`;
}

function disruptionFor(s: LiveSession, commandId: string, at: number): Disruption {
  return {
    id: `dis-${randomUUID()}`,
    sessionId: s.id,
    playerId: s.playerId,
    cause: 'kick',
    commandId,
    incidentId: null,
    at,
    snapshot: {
      region: s.region,
      shard: s.shard,
      zone: s.zone,
      clientVersion: s.clientVersion,
      licence: s.licence,
      provisional: s.provisional,
    },
    outcome: 'pending',
    outcomeReason: null,
  };
}
