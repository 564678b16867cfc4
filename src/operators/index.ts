/**
 * Operators of the admin plane: who they are, what their role lets them do, their bearer tokens
 * and their TOTP step-up.
 */
export { type BreakGlassWatchDeps, watchBreakGlass } from './alerts.ts';
export { newRequesterPart } from './enrolment.ts';
export { isRole, may, type Permission, permissions } from './permissions.ts';
export {
  type Actor,
  type DirectWrite,
  OperatorService,
  type OperatorServiceDeps,
  type OperatorSettings,
} from './service.ts';
export { newTotpSecret, spendTotp, totpUri } from './totp.ts';
