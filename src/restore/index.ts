/**
 * Restore: bring disrupted players back in paced batches, without losing or doubling one. The
 * disruption ledger lives in the record store; this is the job that works through it, and the
 * rejoin path kicked clients come back by.
 */
export { breach, type HealthReader, type HealthReading, HealthProbe } from './health.ts';
export { createPacer, type Pacer } from './pacer.ts';
export { type RestoreRequest, RestoreService } from './service.ts';
export type {
  RejoinAnswer,
  RestorePlan,
  RestorePreview,
  RestoreServiceDeps,
  RestoreSettings,
  RestoreStatus,
  RestoreView,
} from './types.ts';
