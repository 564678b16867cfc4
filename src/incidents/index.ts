/**
 * Incidents from evidence (issue 16): declared by hand or by a cause (a kick-breaker trip, a
 * P0/P1 signal), classified P0–P3 by documented rules, moved through their statuses and the
 * seed's phases, with a roles ledger and notes; their timeline and impact are built from what
 * Lifeline already recorded. docs/INCIDENTS.md says the rules.
 */
export { autoDeclare, type AutoDeclareDeps, breakerCause, signalCause } from './auto.ts';
export {
  type ClassificationThresholds,
  classify,
  type ImpactFigures,
  type LevelThresholds,
  thresholdProblem,
} from './classify.ts';
export { type Impact, type ImpactSettings, impactOf, notCounted } from './impact.ts';
export { durations, mayMove, moved, seedPhases, transitions } from './lifecycle.ts';
export {
  actionKinds,
  actionStatuses,
  emptyPostmortem,
  incidentRoles,
  incidentStatuses,
  runningStatuses,
  severities,
} from './records.ts';
export {
  type Cause,
  type DeclareInput,
  IncidentService,
  type IncidentServiceDeps,
  type IncidentSettings,
} from './service.ts';
export {
  Compensation,
  type CompensationDeps,
  type CompensationRun,
  grantsCsv,
  parseGrant,
} from './compensation.ts';
export { type ActionInput, FollowUp, type FollowUpDeps } from './followup.ts';
export type * from './records.ts';
export { overdue, postmortemSections, renderPostmortem } from './postmortem.ts';
export { buildTimeline, linksOf, noteTime, type TimelineItem, timelineKinds } from './timeline.ts';
export { incidentView } from './view.ts';
