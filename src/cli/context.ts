import type { Command } from 'commander';
import { type AdminClient, adminClient } from './api.ts';
import { type CliBase, type CliIo, createBase } from './base.ts';
import { type DirectAccess, directAccess } from './direct.ts';

/** Everything a command group may use: output, config, the store directly, the admin API. */
export type CliContext = CliBase & DirectAccess & AdminClient;

export function createContext(program: Command, io: CliIo): CliContext {
  const base = createBase(program, io);
  return { ...base, ...directAccess(base), ...adminClient(base) };
}
