/** `lifeline incident compensate|postmortem|rootcause|actions`: after an incident, through the admin API. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type CompensationGrant, type CompensationRun, grantsCsv } from '../incidents/index.ts';
import type { CliContext } from './context.ts';

const path = (id: string, rest = '') => `/admin/v1/incidents/${encodeURIComponent(id)}${rest}`;
const iso = (ms: number) => new Date(ms).toISOString();
const when = (v: string) => (/^\d+$/.test(v) ? Number(v) : v);

interface ActionView {
  id: string;
  incidentId: string;
  title: string;
  kind: string;
  owner: string;
  dueAt: number;
  status: string;
  overdue?: boolean;
}

const actionLine = (a: ActionView) =>
  `${a.overdue ? 'OVERDUE ' : ''}${a.id}\t${a.incidentId}\t${a.kind}\t${a.status}\tdue ${iso(a.dueAt)}\t${a.owner}\t${a.title}`;

function runText(r: CompensationRun): string {
  const verb = r.dryRun ? 'would grant' : 'granted';
  const delivery =
    r.delivery === null
      ? 'no webhook configured (incidents.compensationDestination): recorded and exported only'
      : `${r.delivery.queued} queued for ${r.delivery.destination}`;
  return `${verb} "${r.grant}" to ${r.granted} players (${r.affected} affected, ${r.alreadyGranted} granted before); ${delivery}`;
}

function compensateCommand(incident: Command, cli: CliContext): void {
  incident
    .command('compensate <id>')
    .description(
      '[api] grant every affected player of a resolved incident (admin + TOTP; --dry-run counts); once per player',
    )
    .requiredOption('--grant <text>', 'what to grant: "7 days", "12 hours", "1 week"')
    .option('--dry-run', 'count the grants a run would make; grant nothing')
    .option('--totp <code>', 'your TOTP code (required unless --dry-run)')
    .option('--csv <file>', "write the incident's grants (all runs) as CSV")
    .action(async (id: string, o: { grant: string; dryRun?: boolean; totp?: string; csv?: string }) => {
      const body = (await cli.api('POST', path(id, '/compensation'), {
        grant: o.grant,
        dryRun: o.dryRun === true,
        totp: o.totp,
      })) as { run: CompensationRun };
      let text = runText(body.run);
      if (o.csv !== undefined) {
        const listed = (await cli.api('GET', path(id, '/compensation'))) as { grants: CompensationGrant[] };
        await writeFile(o.csv, grantsCsv(listed.grants), { mode: 0o600 });
        text += `\nwrote ${listed.grants.length} grants to ${o.csv}`;
      }
      cli.print(text, body);
    });
}

function postmortemCommands(incident: Command, cli: CliContext): void {
  incident
    .command('postmortem <id>')
    .description(
      '[api] write the post-mortem as Markdown (stdout, or --out); the first write stops the P0 reminder',
    )
    .option('--out <file>', 'write the Markdown to this file')
    .action(async (id: string, o: { out?: string }) => {
      const body = (await cli.api('POST', path(id, '/postmortem/write'))) as { markdown: string };
      if (o.out === undefined) {
        cli.print(body.markdown, body);
        return;
      }
      await writeFile(o.out, body.markdown);
      cli.print(`wrote ${o.out}`, body);
    });
  incident
    .command('rootcause <id>')
    .description(
      "[api] set the post-mortem's 5-whys (--why, repeatable, in order), root cause, summary and lessons",
    )
    .option('--why <answer...>', 'the answers, each to "why?" of the one before')
    .option('--root-cause <text>')
    .option('--summary <text>')
    .option('--went-well <text...>')
    .option('--went-badly <text...>')
    .action(async (id: string, o: Record<string, string | string[] | undefined>) => {
      const current = (await cli.api('GET', path(id, '/postmortem'))) as {
        postmortem: { lessons: { wentWell: string[]; wentBadly: string[] } };
      };
      const lessons =
        o.wentWell === undefined && o.wentBadly === undefined
          ? undefined
          : {
              wentWell: (o.wentWell as string[] | undefined) ?? current.postmortem.lessons.wentWell,
              wentBadly: (o.wentBadly as string[] | undefined) ?? current.postmortem.lessons.wentBadly,
            };
      const body = (await cli.api('PUT', path(id, '/postmortem'), {
        whys: o.why,
        rootCause: o.rootCause,
        summary: o.summary,
        lessons,
      })) as { postmortem: { whys: string[]; rootCause: string } };
      const p = body.postmortem;
      cli.print(
        [...p.whys.map((w, n) => `${n + 1}. why? ${w}`), `root cause: ${p.rootCause || '-'}`].join('\n'),
        body,
      );
    });
}

function actionsCommands(incident: Command, cli: CliContext): void {
  const actions = incident
    .command('actions [id]')
    .description('[api] action items (of one incident, or all), overdue ones flagged')
    .action(async (id: string | undefined) => {
      const body = (await cli.api(
        'GET',
        id === undefined ? '/admin/v1/incident-actions' : path(id, '/actions'),
      )) as {
        actions: ActionView[];
      };
      cli.print(body.actions.map(actionLine).join('\n') || '(no action items)', body);
    });
  actions
    .command('add <id> <title>')
    .description('[api] add an action item')
    .requiredOption('--owner <name>')
    .requiredOption('--due <time>', 'ISO time or epoch ms')
    .option('--kind <kind>', 'immediate, preventive or process', 'preventive')
    .action(async (id: string, title: string, o: { owner: string; due: string; kind: string }) => {
      const body = (await cli.api('POST', path(id, '/actions'), {
        title,
        owner: o.owner,
        kind: o.kind,
        dueAt: when(o.due),
      })) as { action: ActionView };
      cli.print(actionLine(body.action), body);
    });
  actions
    .command('set <id> <actionId>')
    .description('[api] change an action item: --status open|done|dropped, --owner, --due, --title, --kind')
    .option('--status <status>')
    .option('--owner <name>')
    .option('--due <time>')
    .option('--title <text>')
    .option('--kind <kind>')
    .action(async (id: string, actionId: string, o: Record<string, string | undefined>) => {
      const body = (await cli.api('PATCH', path(id, `/actions/${encodeURIComponent(actionId)}`), {
        status: o.status,
        owner: o.owner,
        dueAt: o.due === undefined ? undefined : when(o.due),
        title: o.title,
        kind: o.kind,
      })) as { action: ActionView };
      cli.print(actionLine(body.action), body);
    });
  actions
    .command('rm <id> <actionId>')
    .description('[api] delete an action item')
    .action(async (id: string, actionId: string) => {
      const body = await cli.api('DELETE', path(id, `/actions/${encodeURIComponent(actionId)}`));
      cli.print(`deleted ${actionId}`, body);
    });
}

export function followUpCommands(incident: Command, cli: CliContext): void {
  compensateCommand(incident, cli);
  postmortemCommands(incident, cli);
  actionsCommands(incident, cli);
}
