import type { CommandRecord } from './records.ts';

/**
 * A command as services answer it: the record, plus `haltReason`, what the API and the CLI have
 * always shown (the note when there is one, else the bare code). Code branches on `haltCode`.
 */
export interface CommandView extends CommandRecord {
  haltReason: string | null;
}

export function commandView(command: CommandRecord): CommandView {
  return { ...command, haltReason: command.haltNote ?? command.haltCode };
}

/**
 * A command as the admin API answers it: the hash of a requester's part stays in the store. It
 * opens nothing alone, but it is the requester's, and no other admin needs it.
 */
export function publicCommand(command: CommandRecord): CommandView {
  if (!('requesterPartHash' in command.selector)) return commandView(command);
  const selector = Object.fromEntries(
    Object.entries(command.selector).filter(([key]) => key !== 'requesterPartHash'),
  );
  return commandView({ ...command, selector });
}
