/** `lifeline incident`: declare and run incidents, and read their timeline and impact, through the admin API. */
import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { evidenceCommand } from './incident-evidence.ts';
import { followUpCommands } from './incident-followup.ts';
import { incidentCommsCommands } from './incident-comms.ts';

interface IncidentView {
  id: string;
  title: string;
  severity: string;
  status: string;
  declaredBy: string;
  startedAt: number;
  currentRoles?: Record<string, string>;
  timeToDetectMs?: number;
  timeToMitigateMs?: number | null;
  phases?: {
    key: string;
    title: string;
    done: boolean;
    overdue: boolean;
    items: { key: string; done: boolean }[];
  }[];
  notes?: { id: string; author: string; text: string; effectiveAt: number }[];
}

const iso = (ms: number | null | undefined) => (ms == null ? '-' : new Date(ms).toISOString());
const path = (id: string, rest = '') => `/admin/v1/incidents/${encodeURIComponent(id)}${rest}`;

function line(i: IncidentView): string {
  return `${i.id}\t${i.severity}\t${i.status}\t${iso(i.startedAt)}\t${i.title}`;
}

function detail(i: IncidentView): string {
  const roles =
    Object.entries(i.currentRoles ?? {})
      .map(([r, o]) => `${r}=${o}`)
      .join(' ') || '(none)';
  const phases = (i.phases ?? []).map(
    (p) =>
      `  ${p.done ? '[x]' : p.overdue ? '[!]' : '[ ]'} ${p.title}: ${p.items.filter((x) => x.done).length}/${p.items.length}`,
  );
  const notes = (i.notes ?? []).map((n) => `  ${iso(n.effectiveAt)} ${n.author}: ${n.text} (${n.id})`);
  return [
    line(i),
    `declared by ${i.declaredBy}; roles ${roles}`,
    `time to detect ${i.timeToDetectMs ?? '-'} ms; to mitigate ${i.timeToMitigateMs ?? '-'} ms`,
    'phases:',
    ...phases,
    ...(notes.length > 0 ? ['notes:', ...notes] : []),
  ].join('\n');
}

function declareCommand(incident: Command, cli: CliContext): void {
  incident
    .command('declare <title>')
    .description(
      '[api] declare an incident (operator); you are its commander unless --commander names another',
    )
    .option('--severity <P0-P3>', 'set the severity; otherwise classified from --players/--paying/--regions')
    .option('--players <n>', 'players affected, for the classification')
    .option('--paying <n>', 'paying players affected, for the classification')
    .option('--regions <n>', 'regions affected, for the classification')
    .option('--started <time>', 'onset (ISO time or epoch ms); default now')
    .option('--commander <name>')
    .option('--comms <name>')
    .option('--scribe <name>')
    .action(async (title: string, o: Record<string, string | undefined>) => {
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      const impact = { players: num(o.players), payingPlayers: num(o.paying), regions: num(o.regions) };
      const roles = { commander: o.commander, comms: o.comms, scribe: o.scribe };
      const body = (await cli.api('POST', '/admin/v1/incidents', {
        title,
        severity: o.severity,
        impact: Object.values(impact).some((v) => v !== undefined) ? impact : undefined,
        startedAt:
          o.started === undefined ? undefined : /^\d+$/.test(o.started) ? Number(o.started) : o.started,
        roles: Object.values(roles).some((v) => v !== undefined) ? roles : undefined,
      })) as { incident: IncidentView };
      cli.print(`declared ${line(body.incident)}`, body);
    });
}

function changeCommands(incident: Command, cli: CliContext): void {
  incident
    .command('status <id> <status>')
    .description(
      '[api] move an incident: investigating, identified, monitoring, resolved, post-incident, closed',
    )
    .option('--reason <text>')
    .action(async (id: string, status: string, o: { reason?: string }) => {
      const body = (await cli.api('PATCH', path(id, '/status'), { status, reason: o.reason })) as {
        incident: IncidentView;
      };
      cli.print(line(body.incident), body);
    });
  incident
    .command('role <id> <role> <operator>')
    .description('[api] hand a role (commander, comms, scribe) to an operator; the ledger keeps the hand-off')
    .action(async (id: string, role: string, operator: string) => {
      const body = (await cli.api('POST', path(id, '/roles'), { role, operator })) as {
        incident: IncidentView;
      };
      cli.print(detail(body.incident), body);
    });
  incident
    .command('note <id> <text>')
    .description('[api] add a note to the timeline; --correct <noteId> --at <time> moves a note (commander)')
    .option('--at <time>', 'when it happened (ISO time or epoch ms); default now')
    .option('--correct <noteId>', "correct that note's time to --at instead (give <text> as the reason)")
    .action(async (id: string, text: string, o: { at?: string; correct?: string }) => {
      const at = o.at === undefined ? undefined : /^\d+$/.test(o.at) ? Number(o.at) : o.at;
      const body = (
        o.correct === undefined
          ? await cli.api('POST', path(id, '/notes'), { text, at })
          : await cli.api('PATCH', path(id, `/notes/${encodeURIComponent(o.correct)}`), { at, reason: text })
      ) as { incident: IncidentView };
      cli.print(detail(body.incident), body);
    });
  incident
    .command('check <id> <phase> <item>')
    .description('[api] tick a checklist item of a phase (--undo to untick)')
    .option('--undo')
    .action(async (id: string, phase: string, item: string, o: { undo?: boolean }) => {
      const body = (await cli.api('PATCH', path(id, `/checklist/${phase}/${item}`), {
        done: o.undo !== true,
      })) as {
        incident: IncidentView;
      };
      cli.print(detail(body.incident), body);
    });
}

function readCommands(incident: Command, cli: CliContext): void {
  incident
    .command('list')
    .description('[api] incidents, newest first')
    .option('--status <list>', 'comma-separated statuses')
    .action(async (o: { status?: string }) => {
      const q = o.status === undefined ? '' : `?status=${encodeURIComponent(o.status)}`;
      const body = (await cli.api('GET', `/admin/v1/incidents${q}`)) as { incidents: IncidentView[] };
      cli.print(body.incidents.map(line).join('\n') || '(no incidents)', body);
    });
  incident
    .command('show <id>')
    .description('[api] an incident: roles, durations, phases, notes')
    .action(async (id: string) => {
      const body = (await cli.api('GET', path(id))) as { incident: IncidentView };
      cli.print(detail(body.incident), body);
    });
  incident
    .command('timeline <id>')
    .description("[api] what happened in the incident's window, from the audit log, signals and notes")
    .action(async (id: string) => {
      const body = (await cli.api('GET', path(id, '/timeline'))) as {
        items: { at: number; kind: string; actor: string; summary: string }[];
      };
      cli.print(body.items.map((x) => `${iso(x.at)}\t${x.kind}\t${x.actor}\t${x.summary}`).join('\n'), body);
    });
  incident
    .command('impact <id>')
    .description('[api] players affected, paying players, downtime, revenue estimate, RTO and RPO')
    .action(async (id: string) => {
      const body = (await cli.api('GET', path(id, '/impact'))) as { impact: ImpactView };
      cli.print(impactText(body.impact), body);
    });
}

interface ImpactView {
  players: { affected: number; records: number; paying: number; byRegion: Record<string, number> };
  downtime: { incidentMs: number; sessionHours: number };
  revenue: { estimate: number; currency: string };
  rto: { ms: number | null; objectiveMs: number; met: boolean | null; stillOut: number };
  rpo: { recordsNotFinal: number; objectiveRecords: number; met: boolean };
}

function impactText(i: ImpactView): string {
  const regions = Object.entries(i.players.byRegion)
    .map(([r, n]) => `${r}=${n}`)
    .join(' ');
  return [
    `players affected ${i.players.affected} (${i.players.records} records; paying ${i.players.paying}) ${regions}`,
    `downtime ${i.downtime.incidentMs} ms; ${i.downtime.sessionHours.toFixed(3)} session-hours out`,
    `revenue estimate ${i.revenue.estimate.toFixed(2)} ${i.revenue.currency}`,
    `RTO ${i.rto.ms ?? 'not yet'} ms (objective ${i.rto.objectiveMs} ms, ${i.rto.met === null ? 'open' : i.rto.met ? 'met' : 'missed'}; ${i.rto.stillOut} still out)`,
    `RPO ${i.rpo.recordsNotFinal} records not final (objective ${i.rpo.objectiveRecords}, ${i.rpo.met ? 'met' : 'missed'})`,
  ].join('\n');
}

export function incidentCommands(program: Command, cli: CliContext): void {
  const incident = program.command('incident').description('[api] incidents: declare, run, timeline, impact');
  declareCommand(incident, cli);
  readCommands(incident, cli);
  changeCommands(incident, cli);
  evidenceCommand(incident, cli);
  followUpCommands(incident, cli);
  incidentCommsCommands(incident, cli);
}
