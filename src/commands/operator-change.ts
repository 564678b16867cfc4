/**
 * Creating an operator or changing a role is a guarded command like a bulk kick: it needs an
 * admin with TOTP to ask and a second admin with TOTP to approve, and it lands in the commands
 * record beside the kicks, so the same approve, halt and expiry apply.
 */
import type { CommandRecords, OperatorRecords } from '../store/index.ts';
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import { newRequesterPart, OperatorService } from '../operators/index.ts';
import type { CommandPlan, CommandPolicy, CommandRecord } from './records.ts';
import type { Operator, Role } from '../operators/records.ts';
import { uuid7 } from '../ids/index.ts';
import { type FinishDeps, finishCommand } from './finish.ts';
import { type CommandView, commandView, publicCommand } from './view.ts';

export interface OperatorChange {
  change: 'add' | 'role';
  name: string;
  role: Role | string;
  reason?: string;
  totp?: string;
}

/** Admin, TOTP and one approver from another admin; no sessions are touched. */
export function operatorChangePolicy(): CommandPolicy {
  return {
    tier: 'operators',
    role: 'admin',
    totp: true,
    approvals: 1,
    cap: 0,
    tolerance: 0,
    canary: 0,
    holdMs: 0,
  };
}

/** An operator change ends no session: its plan is empty. */
export function operatorChangePlan(): CommandPlan {
  return {
    count: 0,
    sample: [],
    byRegion: {},
    byShard: {},
    byLicence: {},
    byTier: { paying: 0, free: 0 },
    online: 0,
    shareOfOnline: 0,
  };
}

export interface OperatorChangeDeps {
  store: CommandRecords & Pick<OperatorRecords, 'findOperator'>;
  audit: AuditLog;
  operators: OperatorService;
  clock: () => number;
  settings: { approvalTtlSeconds: number };
}

/**
 * A recorded request; asking for a new operator also gives the requester's part of the
 * enrolment secret, answered once here and kept only hashed, in the command record.
 */
export interface OperatorChangeRequest {
  command: CommandView;
  requesterPart?: string;
}

/** Records the request, awaiting a second admin; the requester's TOTP is checked first. */
export async function requestOperatorChange(
  d: OperatorChangeDeps,
  req: OperatorChange,
  operator: Operator,
): Promise<OperatorChangeRequest> {
  await d.operators.authorize(operator, 'operators.manage', `operator:${req.name}`);
  await d.operators.stepUp(operator, req.totp);
  const input = { name: req.name, role: req.role };
  OperatorService.validate(input);
  if (req.change === 'add' && (await d.store.findOperator({ name: req.name })))
    throw new LifelineError('OPERATOR_EXISTS', `An operator named ${req.name} already exists`);
  if (req.change === 'role' && (await d.operators.active(req.name)).role === req.role)
    throw new LifelineError('VALIDATION_FAILED', `${req.name} already has the role ${req.role}`);
  const now = d.clock();
  const part = req.change === 'add' ? newRequesterPart() : null;
  const command: CommandRecord = {
    id: `cmd-${uuid7(now)}`,
    action: req.change === 'add' ? 'operator.add' : 'operator.role',
    selector: {
      name: input.name,
      role: input.role,
      ...(part ? { requesterPartHash: part.hash } : {}),
    },
    reason:
      req.reason ??
      `${req.change === 'add' ? 'add operator' : 'change the role of'} ${input.name}: ${input.role}`,
    requestedBy: operator.name,
    requestedAt: now,
    state: 'awaiting-approval',
    plan: operatorChangePlan(),
    policy: operatorChangePolicy(),
    approvals: [],
    expiresAt: now + d.settings.approvalTtlSeconds * 1000,
    progress: { ended: 0, waves: 0 },
    haltCode: null,
    haltNote: null,
    finishedAt: null,
  };
  await d.audit.append({
    actor: operator.name,
    action: 'command.request',
    target: `operator:${input.name}`,
    details: { commandId: command.id, action: command.action, role: input.role, reason: command.reason },
    result: command.state,
  });
  await d.store.recordCommand(command, []);
  return part
    ? { command: publicCommand(command), requesterPart: part.part }
    : { command: commandView(command) };
}

/** An approval's answer; an approved new operator's enrolment token (the approver's part) is shown here, once, to the approver. */
export interface ApproveOutcome {
  command: CommandView;
  enrolment?: { operator: string; token: string; expiresAt: number };
}

export type ApproveChangeDeps = OperatorChangeDeps & FinishDeps;

/**
 * Makes an approved operator change. A new operator gets no token and no TOTP secret here:
 * only the approver's part of a one-time enrolment (never shown to the requester), which
 * redeems only with the requester's part, so each admin hands over half, by separate channels.
 */
export async function approveOperatorChange(
  d: ApproveChangeDeps,
  command: CommandRecord,
  approvals: CommandRecord['approvals'],
  approver: Operator,
): Promise<ApproveOutcome> {
  const { requesterPartHash, ...target } = command.selector as {
    name: string;
    role: string;
    requesterPartHash?: unknown;
  };
  OperatorService.validate(target);
  const { name, role } = target;
  await d.audit.append({
    actor: approver.name,
    action: 'command.approve',
    target: `command:${command.id}`,
    details: { commandId: command.id, approvals: approvals.length, needed: command.policy.approvals },
    result: 'done',
  });
  const why = { commandId: command.id, requestedBy: command.requestedBy, approvedBy: approver.name };
  let enrolment: ApproveOutcome['enrolment'];
  try {
    if (command.action === 'operator.add') {
      const made = await d.operators.addPending({ name, role }, requesterPartHash, approver.name, why);
      enrolment = { operator: name, token: made.enrolmentToken, expiresAt: made.expiresAt };
    } else {
      await d.operators.changeRole(name, role, approver.name, why);
    }
  } catch (err) {
    const code = err instanceof LifelineError ? err.code : 'INTERNAL';
    await finishCommand(d, command, 'rejected', { code }, 'system', ['awaiting-approval']);
    throw err;
  }
  const done: CommandRecord = { ...command, approvals, state: 'done', finishedAt: d.clock() };
  if (!(await d.store.advanceCommand(done, ['awaiting-approval'])))
    throw new LifelineError('COMMAND_NOT_AWAITING', `Command ${command.id} changed state meanwhile`);
  d.events.emit('command.changed', { id: command.id, state: 'done', ended: 0 });
  return enrolment ? { command: commandView(done), enrolment } : { command: commandView(done) };
}
