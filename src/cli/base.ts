import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config/index.ts';
import { type OutputFormat, renderDocument } from './output.ts';

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
  /** `-o`: json, yaml, wide or table (the default). */
  output?: OutputFormat;
  /** `--jq`: a field path (output.ts says which subset of jq). */
  jq?: string;
}

/**
 * Where a command reached: the admin listener it talked to and the store it opened. Named on
 * stderr once the command has succeeded (see runCli), so an operator sees at once a command that
 * went to staging, or to the wrong data folder, and a pipe reading stdout is not disturbed.
 */
export interface Trail {
  admin?: { url: string; from: string };
  store?: string;
}

/** What every command group needs of the CLI around it. */
export interface CliBase {
  io: CliIo;
  globals: () => GlobalOptions;
  /** The config file and environment, read when a command runs (after the options are parsed). */
  config: () => Config;
  /**
   * Prints `human`, or `json` as the machine output asked for: one JSON document with --json or
   * `-o json`, YAML with `-o yaml`, the selected fields with --jq.
   */
  print: (human: string, json: unknown) => void;
  /** Whether the output is for a program (--json, -o json|yaml, --jq) rather than a person. */
  machine: () => boolean;
  /** A document in the machine format asked for; `stream` for one of many (JSON lines, YAML `---`). */
  render: (doc: unknown, stream?: boolean) => string;
  trail: Trail;
  /** Who the audit log names for a direct command: `cli:<OS user>`. */
  actor: () => string;
  /** Makes the process exit 1 once the command returns (a check that found a fault). */
  fail: () => void;
  exitCode: () => number;
}

export function createBase(program: Command, io: CliIo): CliBase {
  let exitCode = 0;
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const machine = (): boolean => {
    const g = globals();
    return g.json === true || g.output === 'json' || g.output === 'yaml' || g.jq !== undefined;
  };
  const render = (doc: unknown, stream = false): string => {
    const g = globals();
    return renderDocument(doc, { jq: g.jq, format: g.output === 'yaml' ? 'yaml' : 'json' }, stream);
  };
  return {
    io,
    globals,
    config: () => loadConfig({ file: globals().config ?? io.env.LIFELINE_CONFIG, env: io.env, cwd: io.cwd }),
    print: (human, json) => io.out(machine() ? render(json) : human),
    machine,
    render,
    trail: {},
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
