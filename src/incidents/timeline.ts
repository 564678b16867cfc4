/**
 * The incident's timeline: what Lifeline already recorded in the incident's window, merged and
 * ordered, so nothing an operator did is typed again. Sources: the audit log (commands and their
 * waves, breaker trips and resets, flag changes, restores with their pauses, node losses, bans,
 * the incident's own changes), the signals linked to the incident, and the responders' notes at
 * their (corrected) time. Pure: the service reads the entries and hands them here.
 */
import type { AuditEntry } from '../audit/records.ts';
import type { Incident, IncidentNote } from './records.ts';

export const timelineKinds = [
  'command',
  'wave',
  'breaker',
  'flag',
  'restore',
  'restore-pause',
  'restore-resume',
  'node-loss',
  'ban',
  'incident',
  'signal',
  'note',
  'audit',
] as const;
export type TimelineKind = (typeof timelineKinds)[number];

export interface TimelineItem {
  at: number;
  kind: TimelineKind;
  actor: string;
  summary: string;
  /** The record it comes from: an audit entry by seq, a note or a signal by id. */
  ref: { type: 'audit' | 'note' | 'signal'; id: string };
}

const kindOf: Readonly<Record<string, TimelineKind>> = {
  'command.request': 'command',
  'command.approve': 'command',
  'command.done': 'command',
  'command.halt': 'command',
  'command.kick': 'command',
  'command.wave': 'wave',
  'breaker.trip': 'breaker',
  'breaker.reset': 'breaker',
  'flag.set': 'flag',
  'restore.start': 'restore',
  'restore.done': 'restore',
  'restore.cancel': 'restore',
  'restore.pace': 'restore',
  'restore.pause': 'restore-pause',
  'restore.resume': 'restore-resume',
  'node.lost': 'node-loss',
  'player.ban': 'ban',
  'player.unban': 'ban',
};

/** Audit actions whose record is already an item of its own (the note itself). */
const shownElsewhere = new Set(['incident.note', 'incident.note.correct']);

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));

function summaryOf(e: AuditEntry): string {
  const d = e.details;
  switch (e.action) {
    case 'command.request':
      return `kick requested for ${e.target} (${text(d.count)} sessions): ${text(d.reason)} [${e.result}]`;
    case 'command.wave':
      return `wave ${text(d.wave)} of command ${text(d.commandId)}: ${text(d.sessions)} sessions`;
    case 'command.done':
      return `command ${text(d.commandId)} ${e.result}: ${text(d.ended)} sessions ended`;
    case 'breaker.trip':
      return `kick breaker tripped: ${text(d.reason)}`;
    case 'breaker.reset':
      return `kick breaker reset: ${text(d.reason)}`;
    case 'flag.set':
      return `${e.target} set from ${text(d.from)} to ${text(d.to)}: ${text(d.reason)}`;
    case 'restore.start':
      return `restore ${text(d.restoreId)} started (${text(d.restorable)} restorable)`;
    case 'restore.pause':
      return `restore ${text(d.restoreId)} paused: ${text(d.reason)}`;
    case 'restore.pace':
      return `restore ${text(d.restoreId)} re-paced from ${text(d.from)} to ${text(d.to)}: ${text(d.reason)}`;
    case 'node.lost':
      return `node ${text(d.node)} lost with ${text(d.sessions)} sessions`;
    default:
      return `${e.action} ${e.target} [${e.result}]`;
  }
}

export function auditItem(e: AuditEntry): TimelineItem | null {
  if (shownElsewhere.has(e.action)) return null;
  const kind = kindOf[e.action] ?? (e.action.startsWith('incident.') ? 'incident' : 'audit');
  return { at: e.at, kind, actor: e.actor, summary: summaryOf(e), ref: { type: 'audit', id: String(e.seq) } };
}

/** A note's time: its newest correction, else the time first given. */
export function noteTime(n: IncidentNote): number {
  return n.corrections.at(-1)?.at ?? n.at;
}

function noteItem(n: IncidentNote): TimelineItem {
  const corrected = n.corrections.length > 0 ? ` (time corrected from ${new Date(n.at).toISOString()})` : '';
  return {
    at: noteTime(n),
    kind: 'note',
    actor: n.author,
    summary: `${n.text}${corrected}`,
    ref: { type: 'note', id: n.id },
  };
}

/**
 * Every item of the incident's window, oldest first. Ties keep the sources' own order (audit by
 * seq, then signals, then notes), so a wave never shows before the request that caused it.
 */
export function buildTimeline(incident: Incident, audit: readonly AuditEntry[]): TimelineItem[] {
  const items: TimelineItem[] = [];
  for (const e of audit) {
    const item = auditItem(e);
    if (item) items.push(item);
  }
  for (const s of incident.signals) {
    items.push({
      at: s.at,
      kind: 'signal',
      actor: s.detector,
      summary: `${s.severity} signal: ${s.title}`,
      ref: { type: 'signal', id: s.id },
    });
  }
  for (const n of incident.notes) items.push(noteItem(n));
  // Array.prototype.sort is stable: equal times keep the order above.
  return items.sort((a, b) => a.at - b.at);
}

/** What the window's audit entries name: the commands, restores and flags the incident is linked to. */
export function linksOf(audit: readonly AuditEntry[]): {
  commands: string[];
  restores: string[];
  flags: string[];
} {
  const commands = new Set<string>();
  const restores = new Set<string>();
  const flags = new Set<string>();
  for (const e of audit) {
    if (e.action.startsWith('command.') && typeof e.details.commandId === 'string')
      commands.add(e.details.commandId);
    if (e.action.startsWith('restore.') && typeof e.details.restoreId === 'string')
      restores.add(e.details.restoreId);
    if (e.action === 'flag.set' && e.target.startsWith('flag:')) flags.add(e.target.slice(5));
  }
  return { commands: [...commands], restores: [...restores], flags: [...flags] };
}
