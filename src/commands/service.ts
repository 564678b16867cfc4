import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import type { KickBreaker } from '../breaker/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { FlagService } from '../flags/index.ts';
import { disruptionOf } from '../disruptions/index.ts';
import type { Bus, LiveState, SessionFilter } from '../live/index.ts';
import { may, OperatorService } from '../operators/index.ts';
import type { Topology } from '../sessions/index.ts';
import {
  type CommandPlan,
  type CommandPolicy,
  type CommandRecord,
  type Disruption,
  type Operator,
  type RecordStore,
  uuid7,
} from '../store/index.ts';
import { type PolicySettings, planFor, policyFor } from './policy.ts';
import { type OperatorChange, type OperatorChangeRequest, requestOperatorChange } from './operator-change.ts';
import { describeSelector, type Selector, toFilter } from './selector.ts';

export interface CommandRequest {
  action: 'kick';
  selector: Selector;
  reason: string;
  dryRun?: boolean;
  totp?: string;
  /** Refuse (BLAST_RADIUS_EXCEEDED) if the selector matches more than this. */
  maxSessions?: number;
}

/** Where a request came from, for the kicks metric. */
export type Source = 'api' | 'cli';

/** An approval's answer; an approved new operator's enrolment token (the approver's part) is shown here, once, to the approver. */
export interface ApproveOutcome {
  command: CommandRecord;
  enrolment?: { operator: string; token: string; expiresAt: number };
}

export type RequestOutcome =
  | { kind: 'dry-run'; plan: CommandPlan; policy: CommandPolicy }
  | { kind: 'awaiting-approval'; command: CommandRecord }
  | { kind: 'done'; command: CommandRecord };

export interface CommandServiceDeps {
  store: RecordStore;
  live: LiveState;
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
 * the policy its size calls for (role, TOTP, a second approver), audited, and run in waves: a
 * canary, a hold, then the rest, each wave re-checking that the selector has not grown past the
 * approved count. Kicks no approval vouches for draw on the kick breaker's budget.
 */
export class CommandService {
  readonly #d: CommandServiceDeps;
  /** Runs in flight on this node, so a halt wakes a hold at once. */
  readonly #running = new Map<string, AbortController>();
  readonly #done = new Set<Promise<void>>();

  constructor(deps: CommandServiceDeps) {
    this.#d = deps;
  }

  async get(id: string): Promise<CommandRecord> {
    const command = await this.#d.store.getCommand(id);
    if (!command) throw new LifelineError('COMMAND_NOT_FOUND', `No command ${id}`);
    return command;
  }

  async request(req: CommandRequest, operator: Operator, source: Source): Promise<RequestOutcome> {
    const d = this.#d;
    const filter = toFilter(req.selector, d.topology);
    const [found, counts] = await Promise.all([
      d.live.findSessions(filter, MAX_PLAN),
      d.live.countSessions({}),
    ]);
    const plan = planFor(found, counts.total, d.settings.payingLicences);
    const all = req.selector.all === true;
    const policy = policyFor(plan.count, all, d.settings);
    if (req.dryRun) return { kind: 'dry-run', plan, policy };
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

    const now = d.clock();
    const command: CommandRecord = {
      id: `cmd-${uuid7(now)}`,
      action: 'kick',
      selector: { ...req.selector },
      reason: req.reason,
      requestedBy: operator.name,
      requestedAt: now,
      state: policy.approvals > 0 ? 'awaiting-approval' : 'running',
      plan,
      policy,
      approvals: [],
      expiresAt: policy.approvals > 0 ? now + d.settings.approvalTtlSeconds * 1000 : null,
      progress: { ended: 0, waves: 0 },
      haltReason: null,
      finishedAt: null,
    };
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
    if (command.state === 'running') await d.live.adoptRun(command.id, d.nodeId, now);
    await d.store.recordCommand(command, []);
    if (command.state === 'awaiting-approval') return { kind: 'awaiting-approval', command };
    return { kind: 'done', command: await this.#execute(command, operator.name, source) };
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
    let command = await this.get(id);
    if (operator.name === command.requestedBy) {
      await this.#deny(operator, 'command.approve', command, 'APPROVAL_SELF');
      throw new LifelineError('APPROVAL_SELF');
    }
    await d.operators.stepUp(operator, totp);
    command = await this.get(id);
    if (finished.has(command.state))
      throw new LifelineError('COMMAND_FINISHED', `Command ${id} is ${command.state}`);
    if (command.state !== 'awaiting-approval')
      throw new LifelineError('COMMAND_NOT_AWAITING', `Command ${id} is ${command.state}`);
    if (command.expiresAt !== null && d.clock() > command.expiresAt) {
      await this.#finish(command, 'rejected', 'COMMAND_EXPIRED', 'system', ['awaiting-approval']);
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
    const approvals = [...command.approvals, { by: operator.name, at: d.clock() }];
    const ready = approvals.length >= command.policy.approvals;
    if (command.action !== 'kick' && ready) return this.#changeOperator(command, approvals, operator);
    await d.audit.append({
      actor: operator.name,
      action: 'command.approve',
      target: `command:${id}`,
      details: { commandId: id, approvals: approvals.length, needed: command.policy.approvals },
      result: ready ? 'running' : 'awaiting-approval',
    });
    const next: CommandRecord = { ...command, approvals, state: ready ? 'running' : 'awaiting-approval' };
    if (ready) await d.live.adoptRun(id, d.nodeId, d.clock());
    if (!(await d.store.advanceCommand(next, ['awaiting-approval']))) {
      throw new LifelineError('COMMAND_NOT_AWAITING', `Command ${id} changed state meanwhile`);
    }
    command = next;
    if (ready) this.#inBackground(command, operator.name);
    return { command };
  }

  /**
   * Makes an approved operator change. A new operator gets no token and no TOTP secret here:
   * only the approver's part of a one-time enrolment (never shown to the requester), which
   * redeems only with the requester's part, so each admin hands over half, by separate channels.
   */
  async #changeOperator(
    command: CommandRecord,
    approvals: CommandRecord['approvals'],
    approver: Operator,
  ): Promise<ApproveOutcome> {
    const d = this.#d;
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
      await this.#finish(command, 'rejected', code, 'system', ['awaiting-approval']);
      throw err;
    }
    const done: CommandRecord = { ...command, approvals, state: 'done', finishedAt: d.clock() };
    if (!(await d.store.advanceCommand(done, ['awaiting-approval'])))
      throw new LifelineError('COMMAND_NOT_AWAITING', `Command ${command.id} changed state meanwhile`);
    d.events.emit('command.changed', { id: command.id, state: 'done', ended: 0 });
    return enrolment ? { command: done, enrolment } : { command: done };
  }

  /** Stops a command that is waiting or running; sessions already ended stay ended. */
  async halt(id: string, operator: Operator, reason: string): Promise<CommandRecord> {
    const command = await this.get(id);
    if (finished.has(command.state))
      throw new LifelineError('COMMAND_FINISHED', `Command ${id} is ${command.state}`);
    const halted = await this.#finish(
      command,
      'halted',
      `halted by ${operator.name}: ${reason}`,
      operator.name,
      ['awaiting-approval', 'running'],
    );
    if (!halted) throw new LifelineError('COMMAND_FINISHED', `Command ${id} finished meanwhile`);
    this.#running.get(id)?.abort();
    return this.get(id);
  }

  /**
   * Halts commands left running by a node that stopped mid-run: this one before a restart (at
   * start-up), or another that died (found on later rounds). A command another live node runs is
   * left alone. Halted, not resumed: sessions the selector matches now are not the ones the
   * operator was shown, so the rest must be asked for again.
   */
  async recover(atStartup: boolean): Promise<number> {
    const d = this.#d;
    let halted = 0;
    for (const c of await d.store.listCommands(['running'])) {
      if (this.#running.has(c.id)) continue;
      const run = await d.live.adoptRun(c.id, d.nodeId, d.clock());
      // Not adopted: a live node runs it. Ours and not at start-up: claimed a moment ago, about to run.
      if (!run.adopted || (run.previous === d.nodeId && !atStartup)) continue;
      const who =
        run.previous === null || run.previous === d.nodeId
          ? 'Lifeline restarted'
          : `node ${run.previous} was lost`;
      await this.#finish(c, 'halted', `interrupted: ${who} mid-run`, 'system', ['running']);
      await d.live.releaseRun(c.id, d.nodeId);
      halted++;
    }
    if (atStartup) {
      const appended = await this.#auditUnrecordedDone();
      if (appended > 0)
        d.logger.warn({ appended }, 'audited commands a previous run finished but stopped before auditing');
    }
    return halted;
  }

  /**
   * The last wave writes a command `done` and only then audits `command.done` with what it ended
   * (the count is known once the wave is written); a process that stopped in between leaves a
   * finished command the audit trail never saw finish. Appends each missing one, once, as the
   * system. Run at start-up: a scan of every finished command, too heavy for each presence round,
   * so a node lost in that gap is made good when any node next starts.
   */
  async #auditUnrecordedDone(): Promise<number> {
    const d = this.#d;
    // Kicks only: an operator request finishes in one step audited as operator.add or operator.role,
    // and never writes command.done, so a recovered one would be a false entry.
    const done = (await d.store.listCommands(['done'])).filter((c) => c.action === 'kick');
    if (done.length === 0) return 0;
    const audited = new Set<string>();
    const pageSize = 1000;
    for (let afterSeq = 0; ; ) {
      const page = await d.audit.list({ action: 'command.done', afterSeq, limit: pageSize });
      for (const entry of page) audited.add(entry.target);
      const last = page.at(-1);
      if (last === undefined || page.length < pageSize) break;
      afterSeq = last.seq;
    }
    let appended = 0;
    for (const command of done) {
      if (audited.has(`command:${command.id}`)) continue;
      await d.audit.append({
        actor: 'system',
        action: 'command.done',
        target: `command:${command.id}`,
        details: {
          commandId: command.id,
          ended: command.progress.ended,
          waves: command.progress.waves,
          recovered: 'finished before a restart; audited at start-up',
        },
        result: 'done',
      });
      appended++;
    }
    return appended;
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

  /** Runs the waves of a command in state `running`; resolves to the command as it ended. */
  async #execute(command: CommandRecord, actor: string, source: Source): Promise<CommandRecord> {
    const d = this.#d;
    const abort = new AbortController();
    this.#running.set(command.id, abort);
    try {
      await d.live.adoptRun(command.id, d.nodeId, d.clock());
      const filter = toFilter(command.selector as Selector, d.topology);
      const waves =
        command.policy.canary > 0
          ? [command.policy.canary, Number.POSITIVE_INFINITY]
          : [Number.POSITIVE_INFINITY];
      let current = command;
      for (const [i, size] of waves.entries()) {
        if (i > 0) {
          await sleep(command.policy.holdMs, abort.signal);
          if (abort.signal.aborted) return this.get(command.id);
        }
        // A kick that drew its budget from the breaker (no approvals) was counted under the cap
        // already: a trip by someone else since must not refuse it, or the budget is spent on
        // nothing. Later waves, and approved kicks, stop while the breaker is open.
        const admitted = i === 0 && command.policy.approvals === 0;
        if (!admitted && (await d.breaker.state()).state === 'open') {
          await this.#finish(current, 'halted', 'KICK_BREAKER_OPEN', 'system', ['running']);
          return this.get(command.id);
        }
        // A kill switch thrown mid-command stops it before its next wave.
        if (!d.flags.enabled('kicks.enabled')) {
          await this.#finish(current, 'halted', 'KICKS_DISABLED', 'system', ['running']);
          return this.get(command.id);
        }
        const last = i === waves.length - 1;
        const outcome = await this.#wave(current, filter, size, last, actor, source);
        if (outcome.kind === 'stopped') return this.get(command.id);
        current = outcome.command;
        if (!last && Math.abs(outcome.asked - outcome.ended) > command.policy.tolerance) {
          await this.#finish(current, 'halted', 'CANARY_MISMATCH', 'system', ['running']);
          return this.get(command.id);
        }
      }
      await d.audit.append({
        actor,
        action: 'command.done',
        target: `command:${command.id}`,
        details: { commandId: command.id, ended: current.progress.ended, waves: current.progress.waves },
        result: 'done',
      });
      d.events.emit('command.changed', { id: command.id, state: 'done', ended: current.progress.ended });
      return current;
    } finally {
      this.#running.delete(command.id);
      await d.live.releaseRun(command.id, d.nodeId).catch(() => {});
    }
  }

  /**
   * One wave: re-resolve the selector, halt on drift, end up to `size` sessions, and write the
   * disruptions with the progress in one compare-and-set; if the command was halted meanwhile,
   * the claimed sessions go back and nothing is written.
   */
  async #wave(
    command: CommandRecord,
    filter: SessionFilter,
    size: number,
    last: boolean,
    actor: string,
    source: Source,
  ): Promise<{ kind: 'stopped' } | { kind: 'ran'; command: CommandRecord; asked: number; ended: number }> {
    const d = this.#d;
    const budget = command.policy.cap - command.progress.ended;
    const matching = await d.live.findSessions(filter, budget + 1);
    if (matching.length > budget) {
      await this.#finish(command, 'halted', 'SELECTOR_DRIFT', 'system', ['running']);
      return { kind: 'stopped' };
    }
    const targets = matching.slice(0, Math.min(size, matching.length));
    const wave = command.progress.waves + 1;
    await d.audit.append({
      actor,
      action: 'command.wave',
      target: `command:${command.id}`,
      details: { commandId: command.id, wave, sessions: targets.length, canary: !last },
      result: 'accepted',
    });
    const claimed = await d.live.endSessions(targets.map((s) => s.id));
    const now = d.clock();
    const disruptions = claimed.map((s) => disruptionOf(s, 'kick', now, command.id));
    const next: CommandRecord = {
      ...command,
      state: last ? 'done' : 'running',
      progress: { ended: command.progress.ended + claimed.length, waves: wave },
      finishedAt: last ? now : null,
    };
    let written: boolean;
    try {
      written = await d.store.advanceCommand(next, ['running'], disruptions);
    } catch (err) {
      for (const s of claimed) await d.live.putSession(s);
      throw new LifelineError(
        'STORE_UNAVAILABLE',
        'The wave was not applied: its records could not be written',
        { cause: err },
      );
    }
    if (!written) {
      for (const s of claimed) await d.live.putSession(s);
      return { kind: 'stopped' };
    }
    await Promise.all(
      claimed.map((s, i) =>
        d.bus.deliver(s.node, {
          kind: 'kicked',
          sessionId: s.id,
          commandId: command.id,
          reason: command.reason,
          disruptionId: (disruptions[i] as Disruption).id,
        }),
      ),
    );
    d.events.emit('session.ended', { cause: 'kick', count: claimed.length, source });
    return { kind: 'ran', command: next, asked: targets.length, ended: claimed.length };
  }

  async #finish(
    command: CommandRecord,
    state: 'halted' | 'rejected',
    reason: string,
    actor: string,
    from: readonly CommandRecord['state'][],
  ): Promise<boolean> {
    const d = this.#d;
    await d.audit.append({
      actor,
      action: state === 'halted' ? 'command.halt' : 'command.reject',
      target: `command:${command.id}`,
      details: { commandId: command.id, reason, ended: command.progress.ended },
      result: state,
    });
    const latest = (await d.store.getCommand(command.id)) ?? command;
    const ok = await d.store.advanceCommand(
      { ...latest, state, haltReason: reason, finishedAt: d.clock() },
      from,
    );
    if (ok) {
      if (state === 'halted') d.logger.warn({ commandId: command.id, reason }, 'command halted');
      d.events.emit('command.changed', { id: command.id, state, ended: latest.progress.ended });
    }
    return ok;
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
