/**
 * What Lifeline told the public about an incident (issue 16, item 5): one row per message sent,
 * stored before it goes out. The pair (incident, state key) is unique, so a state that did not
 * change (a replayed event, the same update posted twice, two nodes hearing one change) is never
 * told twice: the store decides.
 */

/** Which template rendered it: the P0 announcement, an update, or the all clear. */
export const updateKinds = ['announcement', 'update', 'all-clear'] as const;
export type UpdateKind = (typeof updateKinds)[number];

export interface PublicUpdate {
  /** uuid7. */
  id: string;
  incidentId: string;
  /** What made it: `status:<status>` or `message:<sha256 of status and text>`. */
  stateKey: string;
  kind: UpdateKind;
  /** The incident's status when it was sent. */
  status: string;
  /** The rendered text, as sent to every destination and shown on the status page. */
  body: string;
  /** The regions it concerns (empty: every region). */
  regions: string[];
  at: number;
}
