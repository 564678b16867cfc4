/**
 * What follows an incident (issue 16 items 6 and 7): the compensation granted to the players it
 * affected, and its post-mortem (the 5-whys, root cause and lessons, kept editable) with action
 * items. The store keeps them (`IncidentFollowUpRecords`, migration 014).
 */

/** One player's grant for one incident; a player is granted at most once per incident. */
export interface CompensationGrant {
  /** uuid7. */
  id: string;
  incidentId: string;
  playerId: string;
  /** The grant as the operator gave it ("7 days"). */
  grant: string;
  /** The same, in seconds. */
  seconds: number;
  /** The player's licence and region when disrupted (from the disruption record). */
  licence: string;
  region: string;
  /** The run that granted it: one id per `compensate`. */
  runId: string;
  grantedBy: string;
  grantedAt: number;
}

/** The post-mortem's parts written by people; the rest is rendered from the records. */
export interface PostmortemBody {
  /** What happened, in a responder's words (the summary's opening); null to leave it out. */
  summary: string | null;
  /** The 5-whys: each answer asks the next "why", the last is the root cause. */
  whys: string[];
  rootCause: string;
  lessons: { wentWell: string[]; wentBadly: string[] };
}

export interface Postmortem extends PostmortemBody {
  incidentId: string;
  /** When `incident postmortem` first wrote it out; null until then (the 48-hour reminder watches this). */
  writtenAt: number | null;
  updatedAt: number;
  updatedBy: string;
}

export const actionKinds = ['immediate', 'preventive', 'process'] as const;
export type ActionKind = (typeof actionKinds)[number];
export const actionStatuses = ['open', 'done', 'dropped'] as const;
export type ActionStatus = (typeof actionStatuses)[number];

/** An action item: what, who, by when, and where it stands. */
export interface ActionItem {
  /** uuid7. */
  id: string;
  incidentId: string;
  title: string;
  kind: ActionKind;
  owner: string;
  dueAt: number;
  status: ActionStatus;
  createdAt: number;
  updatedAt: number;
}

export interface ActionQuery {
  incidentId?: string;
  status?: ActionStatus;
}

export const emptyPostmortem = (): PostmortemBody => ({
  summary: null,
  whys: [],
  rootCause: '',
  lessons: { wentWell: [], wentBadly: [] },
});
