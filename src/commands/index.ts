/**
 * Commands: what operators do to sessions, guarded. Plans and dry runs, the policy a plan's size
 * calls for (role, TOTP, a second approver), waves with a canary, drift halts, and the breaker.
 */
export type { Halt } from './finish.ts';
export type { OperatorChange, OperatorChangeRequest } from './operator-change.ts';
export { type PolicySettings, planFor, policyFor } from './policy.ts';
export { describeSelector, type Selector, toFilter } from './selector.ts';
export {
  type ApproveOutcome,
  type CommandRequest,
  CommandService,
  type CommandServiceDeps,
  type RequestOutcome,
  type Source,
} from './service.ts';
export { type CommandView, commandView, publicCommand } from './view.ts';
