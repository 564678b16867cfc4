import type { LiveSession } from '../sessions/records.ts';
import { snapshotOf } from '../sessions/filter.ts';
import type { Disruption, DisruptionCause } from './records.ts';
import { uuid7 } from '../ids/index.ts';

/**
 * The record a session leaves when it ends without the player choosing it (DESIGN.md, principle
 * 2): where it was and what it held, so a restore can bring the player back to the same place.
 * Every disruption starts here, pending; only a restore moves it on.
 */
export function disruptionOf(
  session: LiveSession,
  cause: DisruptionCause,
  at: number,
  commandId: string | null = null,
): Disruption {
  return {
    id: `dis-${uuid7(at)}`,
    sessionId: session.id,
    playerId: session.playerId,
    cause,
    commandId,
    incidentId: null,
    at,
    snapshot: snapshotOf(session),
    outcome: 'pending',
    outcomeReason: null,
  };
}
