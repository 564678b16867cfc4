/**
 * The story of an incident in the log: every domain event at `info`, as one pino JSON line with
 * `event` naming it and the ids a log pipeline joins on (`commandId`, `restoreId`, `flag`,
 * `node`, `probe`), written here and nowhere else so services stay free of log calls. Access
 * lines are at `debug` (src/http/access-log.ts): at the default level, this is what the log says.
 */
import type { EventStream } from './index.ts';

/** What this needs of a pino logger. */
export interface EventLogger {
  info(fields: Record<string, unknown>, message: string): void;
}

/** Subscribes; returns the function that stops logging. */
export function logDomainEvents(events: EventStream, log: EventLogger): () => void {
  const offs = [...commandLines(events, log), ...restoreLines(events, log), ...platformLines(events, log)];
  return () => {
    for (const off of offs) off();
  };
}

function commandLines(events: EventStream, log: EventLogger): (() => void)[] {
  return [
    events.on('command.requested', (e) =>
      log.info(
        {
          event: 'command.requested',
          commandId: e.id,
          action: e.action,
          by: e.by,
          state: e.state,
          count: e.count,
        },
        `command ${e.id} requested by ${e.by}: ${e.action} of ${e.count} session(s), ${e.state}`,
      ),
    ),
    events.on('command.approved', (e) =>
      log.info(
        {
          event: 'command.approved',
          commandId: e.id,
          by: e.by,
          approvals: e.approvals,
          needed: e.needed,
          state: e.state,
        },
        `command ${e.id} approved by ${e.by} (${e.approvals}/${e.needed}), ${e.state}`,
      ),
    ),
    events.on('command.wave', (e) =>
      log.info(
        { event: 'command.wave', commandId: e.id, wave: e.wave, asked: e.asked, ended: e.ended },
        `command ${e.id} wave ${e.wave}: ${e.ended} of ${e.asked} session(s) ended`,
      ),
    ),
    events.on('command.changed', (e) =>
      log.info(
        { event: `command.${e.state}`, commandId: e.id, state: e.state, ended: e.ended },
        `command ${e.id} ${e.state} after ${e.ended} session(s)`,
      ),
    ),
  ];
}

function restoreLines(events: EventStream, log: EventLogger): (() => void)[] {
  const verb: Record<string, string> = {
    running: 'started',
    paused: 'paused',
    cancelled: 'cancelled',
    done: 'finished',
  };
  return [
    events.on('restore.changed', (e) => {
      const what = e.state === 'running' && e.from !== null ? 'resumed' : (verb[e.state] ?? e.state);
      log.info(
        {
          event: `restore.${what}`,
          restoreId: e.restoreId,
          from: e.from,
          state: e.state,
          by: e.by,
          reason: e.reason,
          released: e.released,
          total: e.total,
        },
        `restore ${e.restoreId} ${what}${e.reason ? `: ${e.reason}` : ''} (${e.released}/${e.total} released)`,
      );
    }),
    events.on('restore.paced', (e) =>
      log.info(
        {
          event: 'restore.paced',
          restoreId: e.restoreId,
          from: e.from,
          to: e.to,
          by: e.by,
          reason: e.reason,
        },
        `restore ${e.restoreId} re-paced by ${e.by}: ${e.reason}`,
      ),
    ),
  ];
}

function platformLines(events: EventStream, log: EventLogger): (() => void)[] {
  const probes = new Map<string, boolean>();
  return [
    events.on('breaker.changed', (e) =>
      log.info(
        { event: e.state === 'open' ? 'breaker.tripped' : 'breaker.closed', breaker: e.name, state: e.state },
        `breaker ${e.name} ${e.state === 'open' ? 'tripped (open)' : 'closed'}`,
      ),
    ),
    events.on('flag.changed', (e) =>
      log.info(
        { event: 'flag.changed', flag: e.key, from: e.from, to: e.to, by: e.by, reason: e.reason },
        `flag ${e.key} set to ${JSON.stringify(e.to)} by ${e.by}: ${e.reason}`,
      ),
    ),
    events.on('node.lost', (e) =>
      log.info(
        { event: 'node.lost', node: e.node, sessions: e.sessions },
        `node ${e.node} lost with ${e.sessions} session(s)`,
      ),
    ),
    events.on('dependency.probed', (e) => {
      const was = probes.get(e.probe);
      probes.set(e.probe, e.ok);
      // Only changes are events: the first failure, and the first success after failures.
      if (was === e.ok || (was === undefined && e.ok)) return;
      const event = e.ok ? 'dependency.recovered' : 'dependency.degraded';
      log.info(
        { event, probe: e.probe, error: e.error },
        `${e.probe} ${e.ok ? 'recovered' : `degraded: ${e.error ?? 'failing'}`}`,
      );
    }),
  ];
}
