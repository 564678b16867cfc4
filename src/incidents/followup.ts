/**
 * After an incident: its post-mortem (the 5-whys, root cause, lessons, kept editable and
 * audited; written out as Markdown), its action items (owner, due date, status), and a periodic
 * check on the injected clock that raises a signal for overdue action items and for a P0 whose
 * post-mortem is not written within `postmortemDueHours` of resolution (and resolves them once
 * that is no longer so).
 */
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import { uuid7 } from '../ids/index.ts';
import type { SignalService } from '../signals/index.ts';
import type { RecordStore } from '../store/index.ts';
import {
  type ActionItem,
  type ActionKind,
  type ActionStatus,
  emptyPostmortem,
  type Postmortem,
  type PostmortemBody,
} from './records.ts';
import { overdue, renderPostmortem } from './postmortem.ts';
import type { IncidentService } from './service.ts';

export interface FollowUpDeps {
  store: Pick<
    RecordStore,
    'getPostmortem' | 'savePostmortem' | 'saveAction' | 'deleteAction' | 'listActions' | 'listIncidents'
  >;
  incidents: Pick<IncidentService, 'get' | 'timeline' | 'impact'>;
  signals: Pick<SignalService, 'raise' | 'resolve'>;
  audit: AuditLog;
  clock: () => number;
  postmortemDueHours: number;
}

export interface ActionInput {
  title: string;
  kind: ActionKind;
  owner: string;
  dueAt: number;
}

export const ACTIONS_DETECTOR = 'incident.actions';
export const POSTMORTEM_DETECTOR = 'incident.postmortem';
const fingerprint = (detector: string, incidentId: string) => `${detector}|incident=${incidentId}`;
const CHECKED_INCIDENTS = 500;

export class FollowUp {
  readonly #d: FollowUpDeps;

  constructor(deps: FollowUpDeps) {
    this.#d = deps;
  }

  async postmortem(id: string): Promise<Postmortem> {
    await this.#d.incidents.get(id);
    const pm = await this.#d.store.getPostmortem(id);
    return pm ?? { ...emptyPostmortem(), incidentId: id, writtenAt: null, updatedAt: 0, updatedBy: '' };
  }

  /** Changes the post-mortem's written parts (those given); audited with what changed. */
  async edit(id: string, change: Partial<PostmortemBody>, actor: string): Promise<Postmortem> {
    const before = await this.postmortem(id);
    const after: Postmortem = { ...before, ...change, updatedAt: this.#d.clock(), updatedBy: actor };
    await this.#d.store.savePostmortem(after);
    await this.#d.audit.append({
      actor,
      action: 'incident.postmortem.edit',
      target: `incident:${id}`,
      details: { incidentId: id, ...change },
      result: 'saved',
    });
    return after;
  }

  /** Renders the post-mortem; the first time, records it as written (which stops the reminder). */
  async write(id: string, actor: string): Promise<{ markdown: string; postmortem: Postmortem }> {
    const now = this.#d.clock();
    const [{ incident, items }, { impact }, pm, actions] = await Promise.all([
      this.#d.incidents.timeline(id),
      this.#d.incidents.impact(id),
      this.postmortem(id),
      this.#d.store.listActions({ incidentId: id }),
    ]);
    const markdown = renderPostmortem({ incident, timeline: items, impact, postmortem: pm, actions, now });
    if (pm.writtenAt !== null) return { markdown, postmortem: pm };
    const written = {
      ...pm,
      writtenAt: now,
      updatedAt: pm.updatedAt || now,
      updatedBy: pm.updatedBy || actor,
    };
    await this.#d.store.savePostmortem(written);
    await this.#d.audit.append({
      actor,
      action: 'incident.postmortem.write',
      target: `incident:${id}`,
      details: { incidentId: id, bytes: Buffer.byteLength(markdown) },
      result: 'written',
    });
    await this.#d.signals.resolve(fingerprint(POSTMORTEM_DETECTOR, id), now);
    return { markdown, postmortem: written };
  }

  async addAction(id: string, input: ActionInput, actor: string): Promise<ActionItem> {
    await this.#d.incidents.get(id);
    const now = this.#d.clock();
    const action: ActionItem = {
      id: uuid7(now),
      incidentId: id,
      ...input,
      status: 'open',
      createdAt: now,
      updatedAt: now,
    };
    await this.#d.store.saveAction(action);
    await this.#auditAction('incident.action.add', action, actor, { ...input });
    return action;
  }

  async updateAction(
    id: string,
    actionId: string,
    change: Partial<ActionInput & { status: ActionStatus }>,
    actor: string,
  ): Promise<ActionItem> {
    const before = await this.#action(id, actionId);
    const after = { ...before, ...change, updatedAt: this.#d.clock() };
    await this.#d.store.saveAction(after);
    await this.#auditAction('incident.action.update', after, actor, { ...change });
    return after;
  }

  async removeAction(id: string, actionId: string, actor: string): Promise<void> {
    const before = await this.#action(id, actionId);
    if (!(await this.#d.store.deleteAction(actionId))) throw new LifelineError('INCIDENT_ACTION_NOT_FOUND');
    await this.#auditAction('incident.action.remove', before, actor, {});
  }

  /** Action items (of one incident, or all), each flagged when open past its due date. */
  async actions(incidentId?: string): Promise<(ActionItem & { overdue: boolean })[]> {
    const now = this.#d.clock();
    const list = await this.#d.store.listActions(incidentId === undefined ? {} : { incidentId });
    return list.map((a) => ({ ...a, overdue: overdue(a, now) }));
  }

  /**
   * One check: an `incident.actions` signal (P3) per incident with overdue action items, and an
   * `incident.postmortem` signal (P2) per P0 resolved more than `postmortemDueHours` ago without
   * a written post-mortem; each resolved once that is no longer so. Idempotent: a repeat updates
   * the open signal.
   */
  async check(): Promise<{ overdueActions: number; missingPostmortems: number }> {
    const now = this.#d.clock();
    const byIncident = new Map<string, ActionItem[]>();
    for (const a of await this.#d.store.listActions({})) {
      const list = byIncident.get(a.incidentId) ?? [];
      if (overdue(a, now)) list.push(a);
      byIncident.set(a.incidentId, list);
    }
    let overdueActions = 0;
    for (const [incidentId, late] of byIncident) {
      overdueActions += late.length;
      if (late.length === 0) await this.#d.signals.resolve(fingerprint(ACTIONS_DETECTOR, incidentId), now);
      else await this.#raiseOverdue(incidentId, late);
    }
    return { overdueActions, missingPostmortems: await this.#checkPostmortems(now) };
  }

  async #raiseOverdue(incidentId: string, late: readonly ActionItem[]): Promise<void> {
    await this.#d.signals.raise({
      source: 'detector',
      detector: ACTIONS_DETECTOR,
      severity: 'P3',
      title:
        `${late.length} action item(s) of incident ${incidentId} overdue: ${late.map((a) => `${a.title} (${a.owner})`).join('; ')}`.slice(
          0,
          500,
        ),
      dimensions: { incident: incidentId },
      fingerprint: fingerprint(ACTIONS_DETECTOR, incidentId),
      onsetAt: Math.min(...late.map((a) => a.dueAt)),
    });
  }

  async #checkPostmortems(now: number): Promise<number> {
    const dueMs = this.#d.postmortemDueHours * 3_600_000;
    const after = await this.#d.store.listIncidents({
      statuses: ['resolved', 'post-incident', 'closed'],
      limit: CHECKED_INCIDENTS,
    });
    let missing = 0;
    for (const i of after) {
      if (i.severity !== 'P0' || i.resolvedAt === null || now - i.resolvedAt < dueMs) continue;
      const pm = await this.#d.store.getPostmortem(i.id);
      if (pm?.writtenAt != null) continue;
      missing++;
      await this.#d.signals.raise({
        source: 'detector',
        detector: POSTMORTEM_DETECTOR,
        severity: 'P2',
        title:
          `The post-mortem of P0 incident ${i.id} (${i.title}) is not written ${this.#d.postmortemDueHours} hours after resolution`.slice(
            0,
            500,
          ),
        dimensions: { incident: i.id },
        fingerprint: fingerprint(POSTMORTEM_DETECTOR, i.id),
        onsetAt: i.resolvedAt + dueMs,
      });
    }
    return missing;
  }

  async #action(id: string, actionId: string): Promise<ActionItem> {
    const found = (await this.#d.store.listActions({ incidentId: id })).find((a) => a.id === actionId);
    if (!found) throw new LifelineError('INCIDENT_ACTION_NOT_FOUND');
    return found;
  }

  async #auditAction(
    action: string,
    a: ActionItem,
    actor: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.#d.audit.append({
      actor,
      action,
      target: `incident:${a.incidentId}`,
      details: { incidentId: a.incidentId, actionId: a.id, ...details },
      result: a.status,
    });
  }
}
