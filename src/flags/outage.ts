/**
 * The outage policy. While `outage.declared` is on, a socket dropped for silence ends its session
 * as a `heartbeat-loss` disruption, so that the player comes back through a paced restore instead
 * of every client of a failed region reconnecting at once; outside a declared outage, a silent
 * socket is only closed, and its session stays for the client to reconnect to.
 */
import type { Logger } from 'pino';

/** What the policy asks of sessions: end these as disruptions of this kind. */
export interface Disrupter {
  disrupt(sessionIds: readonly string[], reason: 'heartbeat-loss'): Promise<unknown>;
}

/** The socket hub's `onSilent`: what to do with a socket just dropped for silence. */
export function silentSocketPolicy(deps: {
  flags: { enabled(key: 'outage.declared'): boolean };
  sessions: Disrupter;
  logger: Logger;
}): (sessionId: string) => void {
  return (sessionId) => {
    if (!deps.flags.enabled('outage.declared')) return;
    void deps.sessions.disrupt([sessionId], 'heartbeat-loss').catch((err: unknown) => {
      deps.logger.error({ err, sessionId }, 'could not record a heartbeat-loss disruption');
    });
  };
}
