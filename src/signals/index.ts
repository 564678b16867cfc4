/**
 * Signals (issue 15): the record (records.ts), the service that raises, resolves and lists them
 * and takes Alertmanager and Sentry webhooks (service.ts, intake.ts), and the wiring that feeds
 * the pure detectors of src/detection from the node's own events (detection.ts).
 */
export { DetectionService, type DetectionOptions, fingerprintFor } from './detection.ts';
export { bearerIsIntakeSecret, parseIntake, signatureMatches } from './intake.ts';
export * from './records.ts';
export { type PlayerReport, PlayerReports, reportCategories } from './reports.ts';
export { fingerprintOf, SignalService } from './service.ts';
export { AUDIT_LEASE, AuditFollower, type AuditFollowDeps } from './audit-follow.ts';
export { Rollback, type RollbackDeps } from './rollback.ts';
