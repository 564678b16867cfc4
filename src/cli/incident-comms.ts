/** `lifeline incident update` and `updates`: what the public and players are told, through the admin API. */
import type { Command } from 'commander';
import type { CliContext } from './context.ts';

interface UpdateView {
  kind: string;
  status: string;
  body: string;
  regions: string[];
  at: string;
}

const path = (id: string) => `/admin/v1/incidents/${encodeURIComponent(id)}/updates`;
const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').filter((x) => x !== ''));
const show = (u: UpdateView) =>
  `${u.at}\t${u.kind}\t${u.status}\t${u.regions.length === 0 ? 'all regions' : u.regions.join(',')}\n${u.body}`;

export function incidentCommsCommands(incident: Command, cli: CliContext): void {
  incident
    .command('update <id>')
    .description(
      '[api] post a public update: to Discord, Slack and webhooks, and in game; the same text is sent once',
    )
    .requiredOption('--message <text>', 'what to tell (for a resolved incident: the root cause)')
    .option('--regions <list>', 'comma-separated regions it concerns; default those of the last update')
    .option('--shards <list>', 'narrow the in-game notice to these shards')
    .option('--eta <text>', 'when a fix is expected, as players should read it')
    .action(async (id: string, o: { message: string; regions?: string; shards?: string; eta?: string }) => {
      const body = (await cli.api('POST', path(id), {
        message: o.message,
        regions: list(o.regions),
        shards: list(o.shards),
        eta: o.eta,
      })) as { sent: boolean; update: UpdateView };
      cli.print(`${body.sent ? 'sent' : 'already sent, not sent again'}\n${show(body.update)}`, body);
    });
  incident
    .command('updates <id>')
    .description('[api] the public updates of an incident, oldest first')
    .action(async (id: string) => {
      const body = (await cli.api('GET', path(id))) as { updates: UpdateView[] };
      cli.print(body.updates.map(show).join('\n\n') || '(none)', body);
    });
}
