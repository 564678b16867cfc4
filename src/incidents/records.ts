/**
 * An incident, in DESIGN.md's words (Records: Incident): what went wrong, how bad (P0–P3), where
 * the response stands (status and the seed's phases as checklists), when each milestone was
 * reached, who held which role, and what the responders wrote down. The store keeps it
 * (`IncidentRecords`); the service (./service.ts) is the one writer.
 */

export const severities = ['P0', 'P1', 'P2', 'P3'] as const;
export type IncidentSeverity = (typeof severities)[number];

export const incidentStatuses = [
  'investigating',
  'identified',
  'monitoring',
  'resolved',
  'post-incident',
  'closed',
] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];

/** The statuses of a running incident: its window is still open and it claims new disruptions. */
export const runningStatuses: readonly IncidentStatus[] = ['investigating', 'identified', 'monitoring'];

export const incidentRoles = ['commander', 'comms', 'scribe'] as const;
export type IncidentRole = (typeof incidentRoles)[number];

/** One step of a phase's checklist. */
export interface ChecklistItem {
  key: string;
  text: string;
  done: boolean;
  doneBy: string | null;
  doneAt: number | null;
}

/** One of the seed's response phases, with its time box in minutes from detection. */
export interface Phase {
  key: string;
  title: string;
  /** Minutes after detection the phase is expected to start and to be done by (null: open-ended). */
  startMinute: number;
  endMinute: number | null;
  items: ChecklistItem[];
}

/** A signal the incident was declared from, or that arrived while it ran. */
export interface LinkedSignal {
  id: string;
  title: string;
  severity: string;
  detector: string;
  at: number;
}

/** One entry of the roles ledger: from `at`, `operator` holds `role` (handed over by `by`). */
export interface RoleHandOff {
  incidentId: string;
  role: IncidentRole;
  operator: string;
  at: number;
  by: string;
}

/** A later time the commander gave a note (the original stays). */
export interface NoteCorrection {
  at: number;
  by: string;
  reason: string;
  correctedAt: number;
}

export interface IncidentNote {
  id: string;
  incidentId: string;
  author: string;
  text: string;
  /** When the author wrote it. */
  writtenAt: number;
  /** When it happened, as first given (defaults to when written). */
  at: number;
  /** Corrections of `at`, oldest first; the newest is the note's time. */
  corrections: NoteCorrection[];
}

export interface Incident {
  /** uuid7. */
  id: string;
  title: string;
  severity: IncidentSeverity;
  /** Why that severity: the classification rule that matched, or "set by <operator>". */
  severityReason: string;
  status: IncidentStatus;
  /** What declared it: an operator's name, or `auto:breaker`, `auto:signal`. */
  declaredBy: string;
  /**
   * What caused an automatic declaration (`breaker:kick@<ms>`, `signal:<id>`); unique, so one cause
   * declares one incident whichever node saw it. Null for one declared by hand.
   */
  causeKey: string | null;
  /** ms: onset, first noticed, declared, mitigated (first `monitoring` or `resolved`), resolved, closed. */
  startedAt: number;
  detectedAt: number;
  declaredAt: number;
  mitigatedAt: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  updatedAt: number;
  phases: Phase[];
  signals: LinkedSignal[];
  /** Bumped by every change; the store's compare-and-set. */
  version: number;
  /** The roles ledger, oldest first. */
  roles: RoleHandOff[];
  notes: IncidentNote[];
}

export interface IncidentQuery {
  statuses?: readonly IncidentStatus[];
  limit?: number;
}

/* After an incident (issue 16 items 6 and 7): compensation, the post-mortem and action items (migration 014). */

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
