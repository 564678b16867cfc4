import type { CommandRecords, OperatorRecords } from '../store/index.ts';
import type { RunLeases, SessionDirectory } from '../live/index.ts';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import type { KickBreaker } from '../breaker/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { FlagService } from '../flags/index.ts';
import type { Bus } from '../live/index.ts';
import { may, OperatorService } from '../operators/index.ts';
import type { Topology } from '../sessions/index.ts';
import type { CommandPlan, CommandPolicy, CommandQuery, CommandRecord } from './records.ts';
import type { Operator } from '../operators/records.ts';
import { uuid7 } from '../ids/index.ts';
import { finishCommand, type Halt } from './finish.ts';
import {
  type ApproveOutcome,
  approveOperatorChange,
  type OperatorChange,
  type OperatorChangeRequest,
  requestOperatorChange,
} from './operator-change.ts';
import { type PolicySettings, planFor, policyFor } from './policy.ts';
import { recoverCommands } from './recovery.ts';
import { describeSelector, type Selector, toFilter } from './selector.ts';
import { type CommandView, commandView, publicCommand } from './view.ts';
import { runWaves, type Source } from './waves.ts';

export type { ApproveOutcome } from './operator-change.ts';
export type { Source } from './waves.ts';

export interface CommandRequest {
  action: 'kick';
  selector: Selector;
  reason: string;
  dryRun?: boolean;
  totp?: string;
  /** Refuse (BLAST_RADIUS_EXCEEDED) if the selector matches more than this. */
  maxSessions?: number;
}

export type RequestOutcome =
  | { kind: 'dry-run'; plan: CommandPlan; policy: CommandPolicy }
  | { kind: 'awaiting-approval'; command: CommandView }
  | { kind: 'done'; command: CommandView };

export interface CommandServiceDeps {
  store: CommandRecords & Pick<OperatorRecords, 'findOperator'>;
  live: SessionDirectory & RunLeases;
  bus: Bus;
  audit: AuditLog;
  events: EventStream;
  operators: OperatorService;
  breaker: KickBreaker;
  flags: FlagService;
  topology: Topology;
  logger: Logger;
  clock: () => number;
  settings: PolicySettings;
  /** This node: a running command's runner, so other nodes leave it alone while this one lives. */
  nodeId: string;
}

/** The most sessions a plan walks; far above any one node's sessions. */
const MAX_PLAN = 2_000_000;
/** A command that is done, halted or rejected never runs again. */
const finished = new Set(['done', 'halted', 'rejected']);

/**
 * Guarded commands. A request is planned (dry run: the plan and nothing else), checked against
 * the policy its size calls for (role, TOTP, a second approver), audited, and run in waves
 * (`waves.ts`). Kicks no approval vouches for draw on the kick breaker's budget.
 */
export class CommandService {
  readonly #d: CommandServiceDeps;
  /** Runs in flight on this node, so a halt wakes a hold at once. */
  readonly #running = new Map<string, AbortController>();
  readonly #done = new Set<Promise<void>>();

  constructor(deps: CommandServiceDeps) {
    this.#d = deps;
  }

  async get(id: string): Promise<CommandView> {
    return commandView(await this.#record(id));
  }

  /** A page of commands, newest first (read straight from the store). */
  async list(query: CommandQuery): Promise<CommandView[]> {
    return (await this.#d.store.pageCommands(query)).map(publicCommand);
  }

  async #record(id: string): Promise<CommandRecord> {
    const command = await this.#d.store.getCommand(id);
    if (!command) throw new LifelineError('COMMAND_NOT_FOUND', `No command ${id}`);
    return command;
  }

  async request(req: CommandRequest, operator: Operator, source: Source): Promise<RequestOutcome> {
    const d = this.#d;
    const [found, counts] = await Promise.all([
      d.live.findSessions(toFilter(req.selector, d.topology), MAX_PLAN),
      d.live.countSessions({}),
    ]);
    const plan = planFor(found, counts.total, d.settings.payingLicences);
    const policy = policyFor(plan.count, req.selector.all === true, d.settings);
    if (req.dryRun) return { kind: 'dry-run', plan, policy };
    await this.#guard(req, operator, plan, policy);
    const command = this.#newCommand(req, operator, plan, policy);
    // Unapproved kicks draw on the breaker's budget first; the request that would cross the
    // cap trips it and is itself refused.
    if (policy.approvals === 0) await d.breaker.admit(plan.count, counts.total, operator.name, command.id);
    await d.audit.append({
      actor: operator.name,
      action: 'command.request',
      target: describeSelector(req.selector),
      details: {
        commandId: command.id,
        reason: req.reason,
        source,
        count: plan.count,
        policy,
        byTier: plan.byTier,
      },
      result: command.state,
    });
    // The runner is claimed before the record says running: no node finds it running unclaimed.
    if (command.state === 'running') await d.live.adoptRun(command.id, d.nodeId, command.requestedAt);
    await d.store.recordCommand(command, []);
    d.events.emit('command.requested', {
      id: command.id,
      action: command.action,
      by: operator.name,
      state: command.state,
      count: plan.count,
    });
    if (command.state === 'awaiting-approval')
      return { kind: 'awaiting-approval', command: commandView(command) };
    return { kind: 'done', command: commandView(await this.#execute(command, operator.name, source)) };
  }

  /** The role, TOTP and state checks a request passes before anything is written. */
  async #guard(
    req: CommandRequest,
    operator: Operator,
    plan: CommandPlan,
    policy: CommandPolicy,
  ): Promise<void> {
    const d = this.#d;
    await d.operators.authorize(
      operator,
      policy.role === 'admin' ? 'commands.kick.bulk' : 'commands.kick',
      describeSelector(req.selector),
    );
    // A code sent is checked before any state check (kill switch, breaker, counts, and the tier,
    // which depends on the count), so a wrong one answers TOTP_INVALID whatever the state; only a
    // missing one waits for them.
    if (req.totp !== undefined) await d.operators.stepUp(operator, req.totp);
    if (!d.flags.enabled('kicks.enabled')) throw new LifelineError('KICKS_DISABLED');
    if (plan.count === 0) throw new LifelineError('NO_MATCHING_SESSIONS');
    if (req.maxSessions !== undefined && plan.count > req.maxSessions) {
      throw new LifelineError(
        'BLAST_RADIUS_EXCEEDED',
        `The selector matches ${plan.count} sessions; maxSessions is ${req.maxSessions}`,
      );
    }
    await d.breaker.assertClosed();
    if (policy.totp && req.totp === undefined) throw new LifelineError('TOTP_REQUIRED');
  }

  #newCommand(
    req: CommandRequest,
    operator: Operator,
    plan: CommandPlan,
    policy: CommandPolicy,
  ): CommandRecord {
    const now = this.#d.clock();
    const waits = policy.approvals > 0;
    return {
      id: `cmd-${uuid7(now)}`,
      action: 'kick',
      selector: { ...req.selector },
      reason: req.reason,
      requestedBy: operator.name,
      requestedAt: now,
      state: waits ? 'awaiting-approval' : 'running',
      plan,
      policy,
      approvals: [],
      expiresAt: waits ? now + this.#d.settings.approvalTtlSeconds * 1000 : null,
      progress: { ended: 0, waves: 0 },
      haltCode: null,
      haltNote: null,
      finishedAt: null,
    };
  }

  /**
   * Asks for an operator to be created or given another role: a guarded command like a bulk
   * kick (admin, TOTP, a second admin's approval). Nothing changes until it is approved.
   */
  async requestOperatorChange(req: OperatorChange, operator: Operator): Promise<OperatorChangeRequest> {
    return requestOperatorChange(this.#d, req, operator);
  }

  /**
   * A second operator approves with their own TOTP; enough approvals start the run, or make the
   * operator change. The code is checked before any state check, so its answer does not depend
   * on the command's state; only asking to approve one's own command is refused before it.
   */
  async approve(id: string, operator: Operator, totp: string | undefined): Promise<ApproveOutcome> {
    const d = this.#d;
    const asked = await this.#record(id);
    if (operator.name === asked.requestedBy) {
      await this.#deny(operator, 'command.approve', asked, 'APPROVAL_SELF');
      throw new LifelineError('APPROVAL_SELF');
    }
    await d.operators.stepUp(operator, totp);
    const command = await this.#record(id);
    await this.#checkApprovable(command, operator);
    const approvals = [...command.approvals, { by: operator.name, at: d.clock() }];
    const ready = approvals.length >= command.policy.approvals;
    if (command.action !== 'kick' && ready) return approveOperatorChange(d, command, approvals, operator);
    const next: CommandRecord = { ...command, approvals, state: ready ? 'running' : 'awaiting-approval' };
    if (ready) await d.live.adoptRun(id, d.nodeId, d.clock());
    if (!(await d.store.advanceCommand(next, ['awaiting-approval']))) {
      throw new LifelineError('COMMAND_NOT_AWAITING', `Command ${id} changed state meanwhile`);
    }
    // Audited once the compare-and-set has won (a lost one approved nothing), and before the run
    // starts: no wave runs on an approval the audit log does not hold.
    await d.audit.append({
      actor: operator.name,
      action: 'command.approve',
      target: `command:${id}`,
      details: { commandId: id, approvals: approvals.length, needed: command.policy.approvals },
      result: next.state,
    });
    d.events.emit('command.approved', {
      id,
      by: operator.name,
      approvals: approvals.length,
      needed: command.policy.approvals,
      state: next.state,
    });
    if (ready) this.#inBackground(next, operator.name);
    return { command: commandView(next) };
  }

  /** The state and approver checks an approval passes; a refused approver is audited. */
  async #checkApprovable(command: CommandRecord, operator: Operator): Promise<void> {
    const id = command.id;
    if (finished.has(command.state))
      throw new LifelineError('COMMAND_FINISHED', `Command ${id} is ${command.state}`);
    if (command.state !== 'awaiting-approval')
      throw new LifelineError('COMMAND_NOT_AWAITING', `Command ${id} is ${command.state}`);
    if (command.expiresAt !== null && this.#d.clock() > command.expiresAt) {
      await this.#finish(command, 'rejected', { code: 'COMMAND_EXPIRED' }, 'system', ['awaiting-approval']);
      throw new LifelineError('COMMAND_EXPIRED');
    }
    if (command.approvals.some((a) => a.by === operator.name)) throw new LifelineError('APPROVAL_DUPLICATE');
    const permission =
      command.action !== 'kick'
        ? 'operators.manage'
        : command.policy.role === 'admin'
          ? 'commands.kick.bulk'
          : 'commands.kick';
    if (!may(operator.role, permission)) {
      await this.#deny(operator, 'command.approve', command, 'APPROVAL_ROLE');
      throw new LifelineError(
        'APPROVAL_ROLE',
        `Role ${operator.role} may not approve a ${command.policy.tier} command`,
      );
    }
    // An operator made, enrolled or promoted after the request cannot be the second person:
    // else one admin creates a helper and approves their own command through it.
    if (OperatorService.since(operator) > command.requestedAt) {
      await this.#deny(operator, 'command.approve', command, 'APPROVAL_OPERATOR_TOO_NEW');
      throw new LifelineError('APPROVAL_OPERATOR_TOO_NEW');
    }
  }

  /** Stops a command that is waiting or running; sessions already ended stay ended. */
  async halt(id: string, operator: Operator, reason: string): Promise<CommandView> {
    const command = await this.#record(id);
    if (finished.has(command.state))
      throw new LifelineError('COMMAND_FINISHED', `Command ${id} is ${command.state}`);
    const halt = { code: 'COMMAND_HALTED', note: `halted by ${operator.name}: ${reason}` } as const;
    if (!(await this.#finish(command, 'halted', halt, operator.name, ['awaiting-approval', 'running'])))
      throw new LifelineError('COMMAND_FINISHED', `Command ${id} finished meanwhile`);
    this.#running.get(id)?.abort();
    return this.get(id);
  }

  /**
   * Halts commands left running by a node that stopped mid-run (see `recoverCommands`); at
   * start-up, also audits the ends a previous run wrote but stopped before auditing.
   */
  async recover(atStartup: boolean): Promise<number> {
    return recoverCommands(this.#d, atStartup, (id) => this.#running.has(id));
  }

  /** Waits for background runs (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.#done.size > 0) await Promise.allSettled([...this.#done]);
  }

  /** Aborts holds in flight so shutdown is not kept waiting; the runs halt as interrupted. */
  stop(): void {
    for (const c of this.#running.values()) c.abort();
  }

  #inBackground(command: CommandRecord, actor: string): void {
    const run = this.#execute(command, actor, 'api')
      .then(() => undefined)
      .catch((err: unknown) => this.#d.logger.error({ err, commandId: command.id }, 'command run failed'))
      .finally(() => this.#done.delete(run));
    this.#done.add(run);
  }

  /** Runs the waves of a command in state `running` here; resolves to the command as it ended. */
  async #execute(command: CommandRecord, actor: string, source: Source): Promise<CommandRecord> {
    const d = this.#d;
    const abort = new AbortController();
    this.#running.set(command.id, abort);
    try {
      await d.live.adoptRun(command.id, d.nodeId, d.clock());
      return (await runWaves(d, command, actor, source, abort.signal)) ?? (await this.#record(command.id));
    } finally {
      this.#running.delete(command.id);
      await d.live.releaseRun(command.id, d.nodeId).catch(() => {});
    }
  }

  #finish(
    command: CommandRecord,
    state: 'halted' | 'rejected',
    halt: Halt,
    actor: string,
    from: readonly CommandRecord['state'][],
  ): Promise<boolean> {
    return finishCommand(this.#d, command, state, halt, actor, from);
  }

  async #deny(operator: Operator, action: string, command: CommandRecord, code: string): Promise<void> {
    await this.#d.audit.append({
      actor: operator.name,
      action,
      target: `command:${command.id}`,
      details: { commandId: command.id, code },
      result: 'denied',
    });
  }
}
