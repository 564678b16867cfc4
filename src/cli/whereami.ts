/**
 * `lifeline context`: which admin listener api commands talk to (and where that came from),
 * whether it answers and as whom, and which store direct commands write to. What an operator
 * checks before aiming a command at production, as `kubectl config current-context`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultConfigFileName } from '../config/index.ts';
import { adminUrlOf } from './api.ts';
import type { CliContext } from './context.ts';
import { storeOf } from './direct.ts';
import { CliError } from './errors.ts';

function configFileOf(cli: CliContext): string | null {
  const named = cli.globals().config ?? cli.io.env.LIFELINE_CONFIG;
  if (named !== undefined) return named;
  const local = join(cli.io.cwd, defaultConfigFileName);
  return existsSync(local) ? local : null;
}

async function whoAnswers(cli: CliContext): Promise<{ answers: boolean; as?: string; error?: string }> {
  const token = cli.globals().token ?? cli.io.env.LIFELINE_TOKEN;
  try {
    if (!token) {
      await cli.api('GET', '/admin/v1/whoami', undefined, false).catch((err: unknown) => {
        // Without a token the admin API refuses as itself: that is an answer.
        if (err instanceof CliError && err.code === 'OPERATOR_UNAUTHENTICATED') return;
        throw err;
      });
      return { answers: true };
    }
    const me = (await cli.api('GET', '/admin/v1/whoami')) as { name: string; role: string };
    return { answers: true, as: `${me.name} (${me.role})` };
  } catch (err) {
    return { answers: false, error: err instanceof CliError ? `${err.code}: ${err.message}` : String(err) };
  }
}

export function contextCommand(program: Command, cli: CliContext): void {
  program
    .command('context')
    .description(
      '[local] the admin URL api commands use, whether it answers, and the store direct commands use',
    )
    .action(async () => {
      const admin = adminUrlOf(cli);
      const reach = await whoAnswers(cli);
      // This command's whole answer is where things are: no trail line repeating it.
      delete cli.trail.admin;
      const store = storeOf(cli);
      const config = configFileOf(cli);
      const token = (cli.globals().token ?? cli.io.env.LIFELINE_TOKEN) !== undefined;
      const answer = reach.answers
        ? `answers${reach.as ? ` as ${reach.as}` : ''}`
        : `does not answer (${reach.error})`;
      cli.print(
        [
          `admin URL: ${admin.url} (from ${admin.from}); ${answer}`,
          `store:     ${store.kind} ${store.location}`,
          `config:    ${config ?? '(defaults and environment only)'}`,
          `token:     ${token ? 'set' : 'not set (--token or LIFELINE_TOKEN)'}`,
        ].join('\n'),
        { adminUrl: admin.url, adminUrlFrom: admin.from, admin: reach, store, config, token },
      );
    });
}
