import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config/index.ts';

/** Where the CLI reads its environment and writes its output: the process, or a test. */
export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stdout is a terminal: tables with headers there, tab-separated lines when piped. */
  tty?: boolean;
}

/** The options every subcommand accepts before its name. */
export interface GlobalOptions {
  json?: boolean;
  config?: string;
  token?: string;
  adminUrl?: string;
}

/** What every command group needs of the CLI around it. */
export interface CliBase {
  io: CliIo;
  globals: () => GlobalOptions;
  /** The config file and environment, read when a command runs (after the options are parsed). */
  config: () => Config;
  /** Prints `human`, or `json` as one JSON document when --json is given. */
  print: (human: string, json: unknown) => void;
  /** Who the audit log names for a direct command: `cli:<OS user>`. */
  actor: () => string;
  /** Makes the process exit 1 once the command returns (a check that found a fault). */
  fail: () => void;
  exitCode: () => number;
}

export function createBase(program: Command, io: CliIo): CliBase {
  let exitCode = 0;
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  return {
    io,
    globals,
    config: () => loadConfig({ file: globals().config ?? io.env.LIFELINE_CONFIG, env: io.env, cwd: io.cwd }),
    print: (human, json) => io.out(globals().json ? JSON.stringify(json, null, 2) : human),
    actor: () => `cli:${safeUser()}`,
    fail: () => {
      exitCode = 1;
    },
    exitCode: () => exitCode,
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
