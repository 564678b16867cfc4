/**
 * The `lifeline` command. Two kinds of subcommand, and `--help` says which each is:
 * - direct: opens the record store itself (operators, audit), so it works with no server
 *   running (SQLite serializes writers with the server when one is);
 * - api: talks to a running server's admin listener (sessions, kick), because live sessions
 *   exist only inside the server (`operators revoke` is api with a token, direct without);
 * - probe (`health`, the player listener's /health and /ready) and local (`context`, `completion`).
 * After a command succeeds, stderr names the admin URL or store it used (nameTrail).
 * Each command group is its own file; this one builds the program from them and runs it.
 */
import { Command, Option } from 'commander';
import { auditCommands } from './audit.ts';
import type { CliIo } from './base.ts';
import { banCommands } from './bans.ts';
import { breakerCommands } from './breaker.ts';
import { commandCommands } from './commands.ts';
import { completionCommand } from './completion.ts';
import { type CliContext, createContext } from './context.ts';
import { drillCommands } from './drill.ts';
import { reportFailure } from './errors.ts';
import { flagCommands } from './flags.ts';
import { healthCommand } from './health.ts';
import { incidentCommands } from './incidents.ts';
import { keysCommands } from './keys.ts';
import { kickCommand } from './kick.ts';
import { listCommands } from './lists.ts';
import { operatorsCommands } from './operators.ts';
import { outputFormats } from './output.ts';
import { restoreCommands } from './restore.ts';
import { serveCommand } from './serve.ts';
import { sessionsCommand } from './sessions.ts';
import { signalsCommands } from './signals.ts';
import { sloCommands } from './slo.ts';
import { ssoCommands } from './sso.ts';
import { contextCommand } from './whereami.ts';

export type { CliIo } from './base.ts';
export { parseDuration } from './parse.ts';

/** The groups in the order `--help` lists them. */
const groups: ((program: Command, cli: CliContext) => void)[] = [
  serveCommand,
  contextCommand,
  ssoCommands,
  healthCommand,
  operatorsCommands,
  sessionsCommand,
  kickCommand,
  commandCommands,
  listCommands,
  banCommands,
  breakerCommands,
  flagCommands,
  restoreCommands,
  incidentCommands,
  keysCommands,
  auditCommands,
  signalsCommands,
  sloCommands,
  drillCommands,
  completionCommand,
];

function buildProgram(io: CliIo): { program: Command; cli: CliContext } {
  const program = new Command('lifeline')
    .description('Lifeline: session resilience for online games')
    .option('--json', 'print machine-readable JSON (the same as -o json)')
    .addOption(
      new Option('-o, --output <format>', 'json, yaml, wide (lists: more columns) or table').choices([
        ...outputFormats,
      ]),
    )
    .option(
      '--jq <path>',
      'print only the fields this path selects from the JSON answer, one per line: a subset of jq, paths only (.items[].id, .counts.total, .a[0], ."x-y")',
    )
    .option(
      '-c, --config <file>',
      'config file (default: ./lifeline.config.json if present; env LIFELINE_CONFIG)',
    )
    .option('--token <token>', 'operator bearer token for api commands (env LIFELINE_TOKEN)')
    .option(
      '--admin-url <url>',
      'admin listener for api commands (env LIFELINE_ADMIN_URL; default from config)',
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const cli = createContext(program, io);
  for (const group of groups) group(program, cli);
  return { program, cli };
}

/** Runs the CLI; resolves to the process exit code. `serve` resolves only on shutdown. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const { program, cli } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof Error && 'exitCode' in err && typeof err.exitCode === 'number') {
      // commander's own exits: --help, --version, a usage error (already printed).
      return err.exitCode;
    }
    return reportFailure(err, cli, io);
  }
  nameTrail(cli);
  return cli.exitCode();
}

/**
 * On stderr, after a command that did its work: the admin listener it talked to and the store it
 * opened, so a command aimed at the wrong node or data folder shows it (stdout stays the answer).
 */
function nameTrail(cli: CliContext): void {
  const { admin, store } = cli.trail;
  if (admin) cli.io.err(`admin API: ${admin.url} (from ${admin.from})`);
  if (store) cli.io.err(`store: ${store}`);
}
