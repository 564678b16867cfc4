import type { CommandRecords } from '../store/index.ts';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import type { ErrorCode } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { CommandRecord } from './records.ts';

export interface FinishDeps {
  store: Pick<CommandRecords, 'getCommand' | 'advanceCommand'>;
  audit: AuditLog;
  events: EventStream;
  logger: Logger;
  clock: () => number;
}

/** Why a command stops: a catalog code, and what a person reads beyond it. */
export interface Halt {
  code: ErrorCode;
  note?: string;
}

/**
 * Ends a command `halted` or `rejected`, if it is still in one of the states `from`; returns
 * whether it did. The audit entry is written once the compare-and-set has won: a halt that lost
 * to another (a wave finishing, a second halt) describes nothing that happened and leaves none.
 */
export async function finishCommand(
  d: FinishDeps,
  command: CommandRecord,
  state: 'halted' | 'rejected',
  halt: Halt,
  actor: string,
  from: readonly CommandRecord['state'][],
): Promise<boolean> {
  const latest = (await d.store.getCommand(command.id)) ?? command;
  const note = halt.note ?? null;
  const ended = { ...latest, state, haltCode: halt.code, haltNote: note, finishedAt: d.clock() };
  if (!(await d.store.advanceCommand(ended, from))) return false;
  const reason = note ?? halt.code;
  await d.audit.append({
    actor,
    action: state === 'halted' ? 'command.halt' : 'command.reject',
    target: `command:${command.id}`,
    details: { commandId: command.id, reason, code: halt.code, ended: latest.progress.ended },
    result: state,
  });
  if (state === 'halted') d.logger.warn({ commandId: command.id, reason }, 'command halted');
  d.events.emit('command.changed', { id: command.id, state, ended: latest.progress.ended });
  return true;
}
