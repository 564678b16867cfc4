/**
 * The incident service: the one writer of incidents. Declares (by hand, or for a cause such as a
 * breaker trip), moves the status, hands roles over, keeps notes and checklists, and answers the
 * timeline and the impact. Every change is audited (`incident.*`, target `incident:<id>`).
 */
import type { AuditLog } from '../audit/index.ts';
import type { AuditEntry } from '../audit/records.ts';
import type { Disruption } from '../disruptions/records.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import { uuid7 } from '../ids/index.ts';
import type {
  AuditRecords,
  IncidentHeader,
  IncidentRecords,
  OperatorRecords,
  SignalRecords,
} from '../store/index.ts';
import { type ClassificationThresholds, classify, type ImpactFigures } from './classify.ts';
import { type Impact, type ImpactSettings, impactOf } from './impact.ts';
import { mayMove, moved, seedPhases, transitions } from './lifecycle.ts';
import type {
  Incident,
  IncidentQuery,
  IncidentRole,
  IncidentSeverity,
  IncidentStatus,
  LinkedSignal,
  RoleHandOff,
} from './records.ts';
import { runningStatuses } from './records.ts';
import { buildTimeline, linksOf, type TimelineItem } from './timeline.ts';

export interface IncidentSettings extends ImpactSettings {
  thresholds: ClassificationThresholds;
  /** Whether a breaker trip or a P0/P1 signal declares an incident by itself. @defaultValue true */
  autoDeclare: boolean;
}

export interface IncidentServiceDeps {
  store: IncidentRecords &
    Pick<AuditRecords, 'listAudit'> &
    Pick<OperatorRecords, 'findOperator'> &
    Pick<SignalRecords, 'linkSignalIncident'>;
  audit: AuditLog;
  events: EventStream;
  clock: () => number;
  settings: IncidentSettings;
}

/** What an operator gives to declare an incident by hand. */
export interface DeclareInput {
  title: string;
  /** Set outright; otherwise classified from `impact` (P3 when neither is given). */
  severity?: IncidentSeverity;
  impact?: Partial<ImpactFigures>;
  /** Onset and first notice (ms); both default to now. */
  startedAt?: number;
  detectedAt?: number;
  /** The first holders; the commander defaults to whoever declares. */
  roles?: Partial<Record<IncidentRole, string>>;
}

/** An automatic declaration's cause, from a breaker trip or a signal. */
export interface Cause {
  key: string;
  declaredBy: string;
  title: string;
  severity: IncidentSeverity;
  severityReason: string;
  startedAt: number;
  detectedAt: number;
  signal?: LinkedSignal;
}

const MAX_ATTEMPTS = 5;
const AUDIT_PAGE = 1000;
const MAX_TIMELINE_AUDIT = 20_000;
const DISRUPTION_PAGE = 5000;
/** How far back a breaker's incident looks for the first kick of the storm that tripped it. */
const FIRST_KICK_LOOKBACK_MS = 3_600_000;

export class IncidentService {
  readonly #d: IncidentServiceDeps;

  constructor(deps: IncidentServiceDeps) {
    this.#d = deps;
  }

  get settings(): IncidentSettings {
    return this.#d.settings;
  }

  async get(id: string): Promise<Incident> {
    const incident = await this.#d.store.getIncident(id);
    if (!incident) throw new LifelineError('INCIDENT_NOT_FOUND');
    return incident;
  }

  list(query: IncidentQuery): Promise<IncidentHeader[]> {
    return this.#d.store.listIncidents(query);
  }

  /** The running incidents, newest declared first. */
  running(): Promise<IncidentHeader[]> {
    return this.#d.store.listIncidents({ statuses: runningStatuses, limit: 10 });
  }

  /** Declares an incident by hand; the declarer is its commander unless another is named. */
  async declare(input: DeclareInput, actor: string): Promise<Incident> {
    const now = this.#d.clock();
    const startedAt = input.startedAt ?? now;
    const detectedAt = input.detectedAt ?? now;
    if (!(startedAt <= detectedAt && detectedAt <= now)) {
      throw new LifelineError('INCIDENT_TIME_INVALID', undefined, {
        details: { startedAt, detectedAt, now },
      });
    }
    const { severity, reason } =
      input.severity === undefined
        ? classify({ players: 0, payingPlayers: 0, regions: 0, ...input.impact }, this.#d.settings.thresholds)
        : { severity: input.severity, reason: `set by ${actor}` };
    const holders = { commander: actor, ...input.roles };
    for (const name of Object.values(holders)) await this.#assertOperator(name);
    const header = this.#header({
      title: input.title,
      severity,
      severityReason: reason,
      declaredBy: actor,
      causeKey: null,
      startedAt,
      detectedAt,
      signals: [],
    });
    const roles = Object.entries(holders).map(([role, operator]) => ({
      incidentId: header.id,
      role: role as IncidentRole,
      operator,
      at: now,
      by: actor,
    }));
    await this.#d.store.declareIncident(header, roles);
    await this.#afterDeclare(header, actor, roles);
    return this.get(header.id);
  }

  /**
   * Declares an incident for `cause` unless one already runs, in which case the cause is linked
   * to the newest running one; returns what it did. A cause declares at most one incident, on
   * every node (the store's unique cause key decides), so a repeated or replayed event is a no-op.
   */
  async declareFor(
    cause: Cause,
  ): Promise<{ kind: 'declared' | 'linked' | 'duplicate'; incidentId: string | null }> {
    const [current] = await this.running();
    if (current) {
      // The same cause again (a replayed event, a signal's update) changes nothing.
      const known = current.causeKey === cause.key || current.signals.some((x) => x.id === cause.signal?.id);
      if (known) return { kind: 'duplicate', incidentId: current.id };
      await this.#link(current.id, cause);
      return { kind: 'linked', incidentId: current.id };
    }
    const header = this.#header({
      title: cause.title,
      severity: cause.severity,
      severityReason: cause.severityReason,
      declaredBy: cause.declaredBy,
      causeKey: cause.key,
      startedAt: cause.startedAt,
      detectedAt: cause.detectedAt,
      signals: cause.signal ? [cause.signal] : [],
    });
    if (!(await this.#d.store.declareIncident(header, []))) return { kind: 'duplicate', incidentId: null };
    if (cause.signal) await this.#d.store.linkSignalIncident(cause.signal.id, header.id);
    await this.#afterDeclare(header, cause.declaredBy, []);
    return { kind: 'declared', incidentId: header.id };
  }

  #header(
    f: Pick<
      IncidentHeader,
      | 'title'
      | 'severity'
      | 'severityReason'
      | 'declaredBy'
      | 'causeKey'
      | 'startedAt'
      | 'detectedAt'
      | 'signals'
    >,
  ): IncidentHeader {
    const now = this.#d.clock();
    return {
      ...f,
      id: uuid7(now),
      status: 'investigating',
      declaredAt: now,
      mitigatedAt: null,
      resolvedAt: null,
      closedAt: null,
      updatedAt: now,
      phases: seedPhases(),
      version: 1,
    };
  }

  async #afterDeclare(h: IncidentHeader, actor: string, roles: readonly RoleHandOff[]): Promise<void> {
    const claimed = await this.#d.store.claimDisruptions(h.id, h.startedAt, null);
    await this.#d.audit.append({
      actor,
      action: 'incident.declare',
      target: `incident:${h.id}`,
      details: {
        incidentId: h.id,
        title: h.title,
        severity: h.severity,
        severityReason: h.severityReason,
        cause: h.causeKey,
        startedAt: h.startedAt,
        detectedAt: h.detectedAt,
        roles: Object.fromEntries(roles.map((r) => [r.role, r.operator])),
        claimedDisruptions: claimed,
      },
      result: h.status,
    });
    this.#d.events.emit('incident.changed', { id: h.id, change: 'declared', status: h.status });
  }

  async #link(id: string, cause: Cause): Promise<void> {
    if (cause.signal) {
      const signal = cause.signal;
      await this.#change(id, (i) =>
        i.signals.some((s) => s.id === signal.id) ? i : { ...i, signals: [...i.signals, signal] },
      );
      await this.#d.store.linkSignalIncident(signal.id, id);
    }
    await this.#d.audit.append({
      actor: cause.declaredBy,
      action: 'incident.link',
      target: `incident:${id}`,
      details: { incidentId: id, cause: cause.key, title: cause.title, severity: cause.severity },
      result: 'linked',
    });
    const { status } = await this.get(id);
    this.#d.events.emit('incident.changed', { id, change: 'linked', status });
  }

  /** Moves the incident's status; a move the machine does not allow changes nothing. */
  async setStatus(id: string, to: IncidentStatus, actor: string, reason?: string): Promise<Incident> {
    let from: IncidentStatus = 'investigating';
    const after = await this.#change(id, (i) => {
      from = i.status;
      if (!mayMove(i.status, to)) {
        throw new LifelineError('INCIDENT_TRANSITION', `An incident cannot move from ${i.status} to ${to}`, {
          details: { from: i.status, to, allowed: transitions[i.status] },
        });
      }
      return moved(i, to, this.#d.clock());
    });
    // Leaving the running statuses closes the window: the last records of it are claimed now.
    if (to === 'resolved') await this.#d.store.claimDisruptions(id, after.startedAt, after.resolvedAt);
    await this.#d.audit.append({
      actor,
      action: 'incident.status',
      target: `incident:${id}`,
      details: { incidentId: id, from, to, reason: reason ?? null },
      result: to,
    });
    this.#d.events.emit('incident.changed', { id, change: 'status', status: to });
    return this.get(id);
  }

  /** Hands `role` to `operator` from now on; the ledger keeps who held it before. */
  async handOff(id: string, role: IncidentRole, operator: string, actor: string): Promise<Incident> {
    const incident = await this.#open(id);
    await this.#assertOperator(operator);
    const previous = incident.roles.filter((r) => r.role === role).at(-1)?.operator ?? null;
    const at = this.#d.clock();
    await this.#d.store.handOffRole({ id: uuid7(at), incidentId: id, role, operator, at, by: actor });
    await this.#d.audit.append({
      actor,
      action: 'incident.role',
      target: `incident:${id}`,
      details: { incidentId: id, role, from: previous, to: operator },
      result: 'handed-off',
    });
    return this.get(id);
  }

  /** Adds a note; `at` (when it happened) defaults to now and may not be in the future. */
  async addNote(id: string, text: string, actor: string, at?: number): Promise<Incident> {
    await this.#open(id);
    const now = this.#d.clock();
    if (at !== undefined && at > now) throw new LifelineError('INCIDENT_TIME_INVALID');
    const note = { id: uuid7(now), incidentId: id, author: actor, text, writtenAt: now, at: at ?? now };
    await this.#d.store.addIncidentNote(note);
    await this.#d.audit.append({
      actor,
      action: 'incident.note',
      target: `incident:${id}`,
      details: { incidentId: id, noteId: note.id, at: note.at, text },
      result: 'added',
    });
    return this.get(id);
  }

  /** The commander gives a note another time; the time first written stays, as does each correction. */
  async correctNote(
    id: string,
    noteId: string,
    at: number,
    reason: string,
    actor: string,
  ): Promise<Incident> {
    const incident = await this.#open(id);
    const commander = incident.roles.filter((r) => r.role === 'commander').at(-1)?.operator;
    if (commander !== actor) {
      throw new LifelineError('INCIDENT_NOT_COMMANDER', undefined, {
        details: { commander: commander ?? null },
      });
    }
    const now = this.#d.clock();
    if (at > now) throw new LifelineError('INCIDENT_TIME_INVALID');
    const note = incident.notes.find((n) => n.id === noteId);
    const correction = { id: uuid7(now), at, by: actor, reason, correctedAt: now };
    if (!note || !(await this.#d.store.correctIncidentNote(id, noteId, correction))) {
      throw new LifelineError('INCIDENT_NOTE_NOT_FOUND');
    }
    await this.#d.audit.append({
      actor,
      action: 'incident.note.correct',
      target: `incident:${id}`,
      details: { incidentId: id, noteId, from: note.corrections.at(-1)?.at ?? note.at, to: at, reason },
      result: 'corrected',
    });
    return this.get(id);
  }

  /** Ticks (or unticks) a checklist item of a phase. */
  async checkItem(id: string, phase: string, item: string, done: boolean, actor: string): Promise<Incident> {
    await this.#change(id, (i) => {
      if (i.status === 'closed') throw new LifelineError('INCIDENT_CLOSED');
      const p = i.phases.find((x) => x.key === phase);
      const found = p?.items.find((x) => x.key === item);
      if (!p || !found)
        throw new LifelineError('INCIDENT_CHECKLIST_ITEM', undefined, { details: { phase, item } });
      const now = this.#d.clock();
      const next = { ...found, done, doneBy: done ? actor : null, doneAt: done ? now : null };
      const phases = i.phases.map((x) =>
        x === p ? { ...x, items: x.items.map((y) => (y === found ? next : y)) } : x,
      );
      return { ...i, phases, updatedAt: now };
    });
    await this.#d.audit.append({
      actor,
      action: 'incident.checklist',
      target: `incident:${id}`,
      details: { incidentId: id, phase, item, done },
      result: done ? 'done' : 'not-done',
    });
    return this.get(id);
  }

  /**
   * When the kicks that tripped the breaker at `trip` began: the first kick of its window, then
   * back through earlier kicks as long as each came within `windowMs` of the next (a slow script
   * whose kicks outlast one window is one storm), at most an hour back. Null when there was none.
   */
  async firstKickAt(trip: number, windowMs: number): Promise<number | null> {
    const limit = trip - FIRST_KICK_LOOKBACK_MS;
    let first = await this.#firstKickIn(trip - windowMs, trip);
    while (first !== null) {
      const from = Math.max(first - windowMs, limit);
      const earlier = from < first ? await this.#firstKickIn(from, first - 1) : null;
      if (earlier === null) return first;
      first = earlier;
    }
    return null;
  }

  /** The first kick command requested between `from` and `to` (its `command.request` audit entry; operator changes are commands too, not kicks). */
  async #firstKickIn(from: number, to: number): Promise<number | null> {
    for (let afterSeq = 0; ; ) {
      const page = await this.#d.store.listAudit({
        from,
        to,
        action: 'command.request',
        afterSeq,
        limit: AUDIT_PAGE,
      });
      const kick = page.find((e) => !e.target.startsWith('operator:'));
      if (kick) return kick.at;
      if (page.length < AUDIT_PAGE) return null;
      afterSeq = page.at(-1)?.seq ?? afterSeq;
    }
  }

  /** The incident's timeline: audit entries of its window, its signals and notes, in order. */
  async timeline(id: string): Promise<{
    incident: Incident;
    items: TimelineItem[];
    links: ReturnType<typeof linksOf>;
    truncated: boolean;
  }> {
    const incident = await this.get(id);
    const to = incident.resolvedAt ?? this.#d.clock();
    const entries: AuditEntry[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await this.#d.store.listAudit({
        from: incident.startedAt,
        to,
        afterSeq,
        limit: AUDIT_PAGE,
      });
      entries.push(...page);
      if (page.length < AUDIT_PAGE || entries.length >= MAX_TIMELINE_AUDIT) break;
      afterSeq = page.at(-1)?.seq ?? afterSeq;
    }
    const truncated = entries.length >= MAX_TIMELINE_AUDIT;
    const kept = entries.slice(0, MAX_TIMELINE_AUDIT);
    return { incident, items: buildTimeline(incident, kept), links: linksOf(kept), truncated };
  }

  /** The incident's impact from the disruption records of its window (claimed first, so none is missed). */
  async impact(id: string): Promise<{ incident: Incident; impact: Impact }> {
    const { incident, records } = await this.records(id);
    return { incident, impact: impactOf(incident, records, this.#d.settings, this.#d.clock()) };
  }

  /** The disruption records the impact counts (its window claimed first, so none is missed). */
  async records(id: string): Promise<{ incident: Incident; records: Disruption[] }> {
    const incident = await this.get(id);
    await this.claimWindow(incident);
    const records: Disruption[] = [];
    for (let afterId = ''; ; ) {
      const page = await this.#d.store.incidentDisruptions(id, afterId, DISRUPTION_PAGE);
      records.push(...page);
      if (page.length < DISRUPTION_PAGE) break;
      afterId = page.at(-1)?.id ?? afterId;
    }
    return { incident, records };
  }

  /** Claims the unclaimed disruption records of a running (or resolved) incident's window. */
  async claimWindow(i: Pick<Incident, 'id' | 'status' | 'startedAt' | 'resolvedAt'>): Promise<number> {
    const open = runningStatuses.includes(i.status);
    if (!open && i.resolvedAt === null) return 0;
    return this.#d.store.claimDisruptions(i.id, i.startedAt, open ? null : i.resolvedAt);
  }

  async #open(id: string): Promise<Incident> {
    const incident = await this.get(id);
    if (incident.status === 'closed') throw new LifelineError('INCIDENT_CLOSED');
    return incident;
  }

  async #assertOperator(name: string): Promise<void> {
    const operator = await this.#d.store.findOperator({ name });
    if (!operator || operator.revokedAt !== null) {
      throw new LifelineError('OPERATOR_NOT_FOUND', `No active operator named ${JSON.stringify(name)}`);
    }
  }

  /** Read, change, compare-and-set; again when another writer won, a few times. */
  async #change(id: string, change: (i: Incident) => Incident): Promise<Incident> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const before = await this.get(id);
      const after = change(before);
      if (after === before) return before;
      const { roles: _r, notes: _n, ...header } = after;
      if (await this.#d.store.updateIncident(header, before.version)) return after;
    }
    throw new LifelineError('INCIDENT_CONFLICT');
  }
}
