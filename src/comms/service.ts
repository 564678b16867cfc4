/**
 * Communication (issue 16, item 5): what players and the public are told about an incident. An
 * incident that is declared, changes status or gets a posted update is rendered through the
 * templates, stored as a public update (once per state: the store's unique key decides, across
 * nodes), queued for the alerting destinations through routing's outbox, and broadcast on the bus
 * as an in-game notice that each node's hub sends to the sockets of the regions concerned.
 */
import { createHash } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import { uuid7 } from '../ids/index.ts';
import type { Incident, IncidentSeverity, IncidentStatus } from '../incidents/records.ts';
import type { Bus } from '../live/index.ts';
import type { Announcement } from '../routing/index.ts';
import type { NoticeLevel } from '../sessions/directive.ts';
import type { PublicUpdateRecords } from '../store/index.ts';
import type { PublicUpdate, UpdateKind } from './records.ts';
import { publicTitle } from './status.ts';
import { render, type TemplateFields, type Templates } from './templates.ts';

export interface CommsSettings {
  templates: Templates;
  /** The public status page's address, for the templates' `{statusUrl}`. @defaultValue '' */
  statusUrl: string;
  /** When the next update is promised after each message. @defaultValue 30 */
  updateIntervalMinutes: number;
  /** The least severe incident told to the public (P0 most severe). @defaultValue 'P1' */
  minSeverity: IncidentSeverity;
  /** Whether messages also go to players as in-game notices. @defaultValue true */
  inGame: boolean;
  /** The configured regions and their shards, to refuse an update naming others. */
  topology: Readonly<Record<string, readonly string[]>>;
}

export interface CommsDeps {
  incidents: { get(id: string): Promise<Incident> };
  store: PublicUpdateRecords;
  /** Routing's outbox; absent when nothing is configured to receive alerts. */
  outbox: { announce(a: Announcement): Promise<number> } | undefined;
  bus: Pick<Bus, 'broadcast'>;
  audit: AuditLog;
  events: EventStream;
  clock: () => number;
  settings: CommsSettings;
}

/** What an operator posts as an update. */
export interface PostInput {
  message: string;
  /** The regions it concerns; defaults to those of the incident's last update (or every region). */
  regions?: readonly string[];
  /** Narrows the in-game notice to these shards (the public message is not narrowed). */
  shards?: readonly string[];
  /** The seed's ETA, free text ("about 30 minutes"). */
  eta?: string;
}

/** What one message tells. */
interface Told {
  stateKey: string;
  kind: UpdateKind;
  message: string;
  regions?: readonly string[];
  shards?: readonly string[] | undefined;
  eta?: string | undefined;
}

const rank: Record<IncidentSeverity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };
const silent: readonly IncidentStatus[] = ['post-incident', 'closed'];
const iso = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());
const hash = (...parts: readonly string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

export class Communications {
  readonly #d: CommsDeps;
  #off: (() => void) | undefined;

  constructor(deps: CommsDeps) {
    this.#d = deps;
  }

  /** Tells every declaration and status change this node makes; returns nothing to wait on. */
  start(): void {
    this.#off = this.#d.events.on('incident.changed', ({ id, change }) => {
      if (change === 'linked') return;
      void this.tellState(id).catch((err: unknown) =>
        this.#d.events.emit('comms.failed', { incidentId: id, err }),
      );
    });
  }

  stop(): void {
    this.#off?.();
  }

  /** The incident's public updates, oldest first. */
  updates(incidentId: string): Promise<PublicUpdate[]> {
    return this.#d.store.incidentUpdates(incidentId);
  }

  /**
   * Tells the incident's current status if it was not told yet (declared: the announcement;
   * resolved: the all clear; another running status: an update). Returns the update, or null when
   * there is nothing new to tell (the same status again, or an incident below `minSeverity`).
   */
  async tellState(incidentId: string): Promise<PublicUpdate | null> {
    const incident = await this.#d.incidents.get(incidentId);
    if (!this.#public(incident) || silent.includes(incident.status)) return null;
    const told = await this.#d.store.incidentUpdates(incidentId);
    if (told.at(-1)?.status === incident.status) return null;
    const kind: UpdateKind =
      incident.status === 'resolved' ? 'all-clear' : told.length === 0 ? 'announcement' : 'update';
    return this.#tell(incident, told, {
      stateKey: `status:${incident.status}:v${incident.version}`,
      kind,
      message: '',
    });
  }

  /**
   * Posts an operator's update: rendered, stored, sent. The same text for the same status and
   * regions is told once (the second post answers `sent: false`).
   */
  async post(
    incidentId: string,
    input: PostInput,
    actor: string,
  ): Promise<{ update: PublicUpdate; sent: boolean }> {
    const incident = await this.#d.incidents.get(incidentId);
    if (incident.status === 'closed') throw new LifelineError('INCIDENT_CLOSED');
    this.#checkPlaces(input);
    // The state first (same key as the event's telling, so told once): an update posted right
    // after a declaration never goes out before its announcement.
    await this.tellState(incidentId);
    const told = await this.#d.store.incidentUpdates(incidentId);
    const regions = [...(input.regions ?? told.at(-1)?.regions ?? [])].sort();
    const stateKey = `message:${hash(incident.status, input.message, regions.join(','), input.eta ?? '')}`;
    const already = told.find((u) => u.stateKey === stateKey);
    if (already) return { update: already, sent: false };
    const kind: UpdateKind = incident.status === 'resolved' ? 'all-clear' : 'update';
    const update = await this.#tell(incident, told, {
      stateKey,
      kind,
      message: input.message,
      regions,
      shards: input.shards,
      eta: input.eta,
    });
    if (!update) {
      const raced = (await this.#d.store.incidentUpdates(incidentId)).find((u) => u.stateKey === stateKey);
      if (!raced) throw new LifelineError('INCIDENT_CONFLICT');
      return { update: raced, sent: false };
    }
    await this.#d.audit.append({
      actor,
      action: 'incident.update',
      target: `incident:${incidentId}`,
      details: { incidentId, updateId: update.id, regions, status: incident.status },
      result: 'sent',
    });
    return { update, sent: true };
  }

  #checkPlaces(input: PostInput): void {
    const topology = this.#d.settings.topology;
    for (const region of input.regions ?? []) {
      if (!Object.hasOwn(topology, region))
        throw new LifelineError('UNKNOWN_REGION', undefined, { details: { region } });
    }
    const shards = new Set(Object.values(topology).flat());
    for (const shard of input.shards ?? []) {
      if (!shards.has(shard)) throw new LifelineError('UNKNOWN_SHARD', undefined, { details: { shard } });
    }
  }

  #public(incident: Incident): boolean {
    return rank[incident.severity] <= rank[this.#d.settings.minSeverity];
  }

  async #tell(incident: Incident, told: readonly PublicUpdate[], what: Told): Promise<PublicUpdate | null> {
    const s = this.#d.settings;
    // Updates are ordered by their time: one told in the same millisecond as the last is put 1 ms after it.
    const now = Math.max(this.#d.clock(), (told.at(-1)?.at ?? 0) + 1);
    const regions = [...(what.regions ?? told.at(-1)?.regions ?? [])];
    const template =
      what.kind === 'announcement'
        ? s.templates.announcement
        : what.kind === 'all-clear'
          ? s.templates.allClear
          : s.templates.update;
    const body = render(template, this.#fields(incident, what, regions, now));
    const update: PublicUpdate = {
      id: uuid7(now),
      incidentId: incident.id,
      stateKey: what.stateKey,
      kind: what.kind,
      status: incident.status,
      body,
      regions,
      at: now,
    };
    if (!(await this.#d.store.addIncidentUpdate(update))) return null;
    await this.#deliver(incident, update, what.shards ?? []);
    this.#d.events.emit('comms.told', { incidentId: incident.id, updateId: update.id, kind: update.kind });
    return update;
  }

  #fields(
    incident: Incident,
    what: { kind: UpdateKind; message: string; eta?: string },
    regions: readonly string[],
    now: number,
  ): TemplateFields {
    const s = this.#d.settings;
    const resolved = what.kind === 'all-clear';
    return {
      system: publicTitle(incident),
      severity: incident.severity,
      status: incident.status,
      regions: regions.length === 0 ? 'all regions' : regions.join(', '),
      started: iso(incident.startedAt),
      resolved: iso(incident.resolvedAt),
      eta: what.eta ?? '',
      nextUpdate: resolved ? '' : iso(now + s.updateIntervalMinutes * 60_000),
      message: resolved ? '' : what.message,
      rootCause: resolved ? what.message : '',
      statusUrl: s.statusUrl,
    };
  }

  /** To the outbox, then to players; a failure of either is reported, the update stays stored. */
  async #deliver(incident: Incident, u: PublicUpdate, shards: readonly string[]): Promise<void> {
    const a: Announcement = {
      id: u.id,
      incidentId: u.incidentId,
      kind: u.kind,
      severity: incident.severity,
      status: u.status,
      regions: u.regions,
      text: u.body,
      at: u.at,
    };
    await this.#d.outbox?.announce(a);
    if (!this.#d.settings.inGame) return;
    const level: NoticeLevel =
      u.kind === 'all-clear' ? 'info' : rank[incident.severity] <= 1 ? 'critical' : 'warning';
    await this.#d.bus.broadcast({
      kind: 'notice',
      noticeId: u.id,
      level,
      text: u.body,
      regions: u.regions,
      shards,
      at: u.at,
    });
  }
}
