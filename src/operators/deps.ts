/** What the operator service and its parts are given, and the secrets' shapes they share. */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import type { EventStream } from '../events/index.ts';
import type { Sealer } from '../secrets/index.ts';
import type { OperatorRecords } from '../store/index.ts';
import type { Role } from './records.ts';

export const TOKEN_PREFIX = 'llo_';
export const ENROLMENT_PREFIX = 'lle_';
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
export const newId = (): string => randomUUID().replaceAll('-', '').slice(0, 16);

/** The operator an admin request acts as; `cli:<user>` when the CLI writes the store directly. */
export interface Actor {
  name: string;
  role: Role;
}

/** The `operators` config section. */
export interface OperatorSettings {
  enrolmentTtlSeconds: number;
  stepUp: { maxFailures: number; windowSeconds: number; lockSeconds: number };
}

export interface OperatorServiceDeps {
  store: OperatorRecords;
  audit: AuditLog;
  clock: () => number;
  /** Seals TOTP secrets at rest. */
  sealer: Sealer;
  settings: OperatorSettings;
  /** Where security alerts go (break-glass, a step-up lock); the CLI has none. */
  events?: EventStream;
  logger?: Logger;
}

/** How a CLI direct write came to be allowed: no admin yet, or break-glass. */
export interface DirectWrite {
  breakGlass: boolean;
}

/** An error log line and a `security.alert` event (the metric counts those). */
export function securityAlert(d: OperatorServiceDeps, kind: string, actor: string, detail: string): void {
  d.logger?.error({ alert: kind, actor, detail }, `security alert: ${kind}`);
  d.events?.emit('security.alert', { kind, actor, detail });
}
