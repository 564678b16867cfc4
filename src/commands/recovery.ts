import type { CommandRecords } from '../store/index.ts';
import type { RunLeases } from '../live/index.ts';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import type { CommandRecord } from './records.ts';
import { type FinishDeps, finishCommand } from './finish.ts';

export interface RecoveryDeps extends FinishDeps {
  store: Pick<CommandRecords, 'getCommand' | 'advanceCommand' | 'listCommands'>;
  live: Pick<RunLeases, 'adoptRun' | 'releaseRun'>;
  audit: AuditLog;
  logger: Logger;
  nodeId: string;
}

/**
 * Halts commands left running by a node that stopped mid-run: this one before a restart (at
 * start-up), or another that died (found on later rounds). A command another live node runs is
 * left alone, and so is one `runsHere`. Halted, not resumed: sessions the selector matches now
 * are not the ones the operator was shown, so the rest must be asked for again.
 */
export async function recoverCommands(
  d: RecoveryDeps,
  atStartup: boolean,
  runsHere: (id: string) => boolean,
): Promise<number> {
  let halted = 0;
  for (const c of await d.store.listCommands(['running'])) {
    if (runsHere(c.id)) continue;
    const run = await d.live.adoptRun(c.id, d.nodeId, d.clock());
    // Not adopted: a live node runs it. Ours and not at start-up: claimed a moment ago, about to run.
    if (!run.adopted || (run.previous === d.nodeId && !atStartup)) continue;
    const who =
      run.previous === null || run.previous === d.nodeId
        ? 'Lifeline restarted'
        : `node ${run.previous} was lost`;
    const note = `interrupted: ${who} mid-run`;
    await finishCommand(d, c, 'halted', { code: 'COMMAND_INTERRUPTED', note }, 'system', ['running']);
    await d.live.releaseRun(c.id, d.nodeId);
    halted++;
  }
  if (atStartup) {
    const appended = await auditUnrecordedEnds(d);
    if (appended > 0)
      d.logger.warn({ appended }, 'audited commands a previous run finished but stopped before auditing');
  }
  return halted;
}

/** The audit action that records each way a command ends. */
const endings = { done: 'command.done', halted: 'command.halt', rejected: 'command.reject' } as const;

/**
 * A command's end is written first and audited after (the last wave's count is known once the
 * wave is written; a halt is audited once its compare-and-set has won), so a process that stopped
 * in between leaves a finished command the audit trail never saw finish. Appends each missing
 * entry, once, as the system. Run at start-up: a scan of every finished command, too heavy for
 * each presence round, so a node lost in that gap is made good when any node next starts.
 */
async function auditUnrecordedEnds(d: RecoveryDeps): Promise<number> {
  // `done` kicks only: an operator request is done in one step audited as operator.add or
  // operator.role, and never writes command.done, so a recovered one would be a false entry.
  const finished = (await d.store.listCommands(['done', 'halted', 'rejected'])).filter(
    (c) => c.state !== 'done' || c.action === 'kick',
  );
  let appended = 0;
  for (const [state, action] of Object.entries(endings)) {
    const mine = finished.filter((c) => c.state === state);
    if (mine.length === 0) continue;
    const audited = await auditedTargets(d.audit, action);
    for (const command of mine) {
      if (audited.has(`command:${command.id}`)) continue;
      await d.audit.append(recoveredEntry(command, action));
      appended++;
    }
  }
  return appended;
}

async function auditedTargets(audit: AuditLog, action: string): Promise<Set<string>> {
  const audited = new Set<string>();
  const pageSize = 1000;
  for (let afterSeq = 0; ; ) {
    const page = await audit.list({ action, afterSeq, limit: pageSize });
    for (const entry of page) audited.add(entry.target);
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) return audited;
    afterSeq = last.seq;
  }
}

function recoveredEntry(command: CommandRecord, action: string) {
  const recovered = 'finished before a restart; audited at start-up';
  const details =
    command.state === 'done'
      ? { commandId: command.id, ended: command.progress.ended, waves: command.progress.waves, recovered }
      : {
          commandId: command.id,
          reason: command.haltNote ?? command.haltCode,
          code: command.haltCode,
          ended: command.progress.ended,
          recovered,
        };
  return { actor: 'system', action, target: `command:${command.id}`, details, result: command.state };
}
