/**
 * The record store written once over a SQL driver: every decision lives in this folder, and an
 * adapter (`sqlite/`, `postgres/`) only supplies its driver and its dialect's statements.
 */
import type { PublicUpdate } from '../../comms/records.ts';
import type { AuditEntry, AuditQuery } from '../../audit/records.ts';
import type { Ban, BanQuery } from '../../bans/records.ts';
import type { BreakerState } from '../../breaker/records.ts';
import type { CommandQuery, CommandRecord, CommandState } from '../../commands/records.ts';
import type {
  Disruption,
  DisruptionOutcome,
  DisruptionQuery,
  Settlement,
} from '../../disruptions/records.ts';
import type { Enrolment, Operator, Role } from '../../operators/records.ts';
import type { FlagRecord } from '../../flags/records.ts';
import type { OutboxMessage, OutboxQuery } from '../../routing/records.ts';
import type { Grant, MacKey, SigningKey } from '../../tokens/records.ts';
import type {
  Incident,
  IncidentNote,
  IncidentQuery,
  NoteCorrection,
  RoleHandOff,
} from '../../incidents/records.ts';
import type { ActionItem, ActionQuery, CompensationGrant, Postmortem } from '../../incidents/records.ts';
import type { IncidentHeader, RecordStore } from '../index.ts';
import type { Pacing, RestoreQuery, RestoreRecord, RestoreState } from '../../restore/records.ts';
import type { Signal, SignalQuery } from '../../signals/records.ts';
import { num, str, toBreaker, toFlag, toMacKey, toSigningKey } from '../rows.ts';
import * as audit from './audit.ts';
import { BanReads } from './ban-reads.ts';
import * as bans from './bans.ts';
import * as commands from './commands.ts';
import type { Sql, SqlDriver } from './driver.ts';
import { GrantCommits } from './grant-commit.ts';
import * as grants from './grants.ts';
import * as followUp from './incident-followup.ts';
import * as incidents from './incidents.ts';
import { addFirstKey, macKeyParams, retireKeys, signingKeyParams } from './keys.ts';
import * as ops from './operators.ts';
import * as outbox from './outbox.ts';
import * as restores from './restores.ts';
import * as signals from './signals.ts';
import type { Statements } from './statements.ts';

export abstract class SqlRecordStore implements RecordStore {
  abstract readonly kind: string;
  readonly #s: Sql;
  readonly #grants: GrantCommits;
  readonly #bans: BanReads;

  constructor(d: SqlDriver, q: Statements) {
    this.#s = { d, q };
    this.#grants = new GrantCommits(this.#s);
    this.#bans = new BanReads(this.#s);
  }

  async ping(): Promise<void> {
    await this.#s.d.one('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#grants.drain();
    await this.#s.d.close();
  }

  /** A guarded single-statement update: true when it changed a row. */
  #changed(text: string, params: readonly unknown[]): Promise<boolean> {
    return ops.changed(this.#s, text, params);
  }

  // Audit
  auditHead(): Promise<AuditEntry | null> {
    return audit.auditHead(this.#s);
  }
  appendAudit(entries: readonly AuditEntry[]): Promise<boolean> {
    return audit.appendAudit(this.#s, entries);
  }
  listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    return audit.listAudit(this.#s, q);
  }
  readAuditPage(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    return audit.readAuditPage(this.#s, afterSeq, limit);
  }

  // Operators
  addOperator(o: Operator, enrolment?: Enrolment): Promise<void> {
    return ops.addOperator(this.#s, o, enrolment);
  }
  findOperator(by: { id: string } | { name: string }): Promise<Operator | null> {
    return ops.findOperator(this.#s, by);
  }
  listOperators(): Promise<Operator[]> {
    return ops.listOperators(this.#s);
  }
  async markOperatorSeen(id: string, at: number, before: number): Promise<void> {
    await this.#s.d.run(this.#s.q.operatorSeen, [at, id, before]);
  }
  revokeOperator(id: string, at: number): Promise<boolean> {
    return this.#changed(this.#s.q.operatorRevoke, [at, id]);
  }
  async setTotpSecret(id: string, secret: string): Promise<void> {
    await this.#s.d.run(this.#s.q.operatorSetTotp, [id, secret]);
  }
  consumeTotpStep(id: string, step: number): Promise<boolean> {
    return this.#changed(this.#s.q.operatorConsumeStep, [id, step]);
  }
  redeemEnrolment(
    id: string,
    hash: string,
    now: number,
    credentials: { tokenHash: string; totpSecret: string },
  ) {
    return ops.redeemEnrolment(this.#s, id, hash, now, credentials);
  }
  setOperatorRole(id: string, role: Role, at: number): Promise<boolean> {
    return ops.setOperatorRole(this.#s, id, role, at);
  }
  replaceTotpSecret(id: string, from: string, to: string): Promise<boolean> {
    return this.#changed(this.#s.q.operatorReplaceTotp, [to, id, from]);
  }
  stepUpLockedUntil(id: string): Promise<number | null> {
    return ops.stepUpLockedUntil(this.#s, id);
  }
  recordStepUpFailure(id: string, at: number, since: number): Promise<number> {
    return ops.recordStepUpFailure(this.#s, id, at, since);
  }
  lockStepUp(id: string, until: number): Promise<void> {
    return ops.lockStepUp(this.#s, id, until);
  }

  // Commands and disruptions
  recordCommand(c: CommandRecord, disruptions: readonly Disruption[]): Promise<void> {
    return commands.recordCommand(this.#s, c, disruptions);
  }
  advanceCommand(c: CommandRecord, from: readonly CommandState[], disruptions: readonly Disruption[] = []) {
    return commands.advanceCommand(this.#s, c, from, disruptions);
  }
  listCommands(states: readonly CommandState[]): Promise<CommandRecord[]> {
    return commands.listCommands(this.#s, states);
  }
  pageCommands(query: CommandQuery): Promise<CommandRecord[]> {
    return commands.pageCommands(this.#s, query);
  }
  getCommand(id: string): Promise<CommandRecord | null> {
    return commands.getCommand(this.#s, id);
  }
  recordDisruptions(batch: readonly Disruption[], options?: { endGrants?: boolean }): Promise<void> {
    return commands.recordDisruptions(this.#s, batch, options?.endGrants ?? true);
  }
  listDisruptions(q: DisruptionQuery): Promise<Disruption[]> {
    return commands.listDisruptions(this.#s, q);
  }
  disruptionOfSession(sessionId: string): Promise<Disruption | null> {
    return commands.disruptionBy(this.#s, this.#s.q.disruptionOfSession, sessionId);
  }
  getDisruption(id: string): Promise<Disruption | null> {
    return commands.disruptionBy(this.#s, this.#s.q.disruptionById, id);
  }

  // Restores
  createRestore(r: RestoreRecord) {
    return restores.createRestore(this.#s, r);
  }
  getRestore(id: string): Promise<RestoreRecord | null> {
    return restores.getRestore(this.#s, id);
  }
  listRestores(states: readonly RestoreState[]): Promise<RestoreRecord[]> {
    return restores.listRestores(this.#s, states);
  }
  pageRestores(query: RestoreQuery): Promise<RestoreRecord[]> {
    return restores.pageRestores(this.#s, query);
  }
  updateRestore(r: RestoreRecord, from: readonly RestoreState[]): Promise<boolean> {
    return restores.updateRestore(this.#s, r, from);
  }
  repaceRestore(id: string, pacing: Pacing, at: number): Promise<RestoreRecord | null> {
    return restores.repaceRestore(this.#s, id, pacing, at);
  }
  releaseBatch(restoreId: string, size: number, now: number, ticketExpiresAt: number) {
    return restores.releaseBatch(this.#s, restoreId, size, now, ticketExpiresAt);
  }
  settleDisruption(id: string, from: readonly DisruptionOutcome[], to: Settlement): Promise<boolean> {
    const { d, q } = this.#s;
    return this.#changed(q.disruptionSettle, [
      to.outcome,
      to.reason,
      to.at,
      to.sessionId ?? null,
      id,
      d.list(from),
    ]);
  }
  expireTickets(now: number): Promise<number> {
    return this.#s.d.run(this.#s.q.ticketsExpire, [now]);
  }
  restoreCounts(restoreId: string) {
    return restores.restoreCounts(this.#s, restoreId);
  }
  queuePosition(restoreId: string, d: Disruption): Promise<number> {
    return restores.queuePosition(this.#s, restoreId, d);
  }
  hasNewerSession(playerId: string, after: number, except?: string): Promise<boolean> {
    return grants.hasNewerSession(this.#s, playerId, after, except);
  }

  // Grants
  openGrant(g: Grant): Promise<void> {
    return this.#grants.open(g);
  }
  getGrant(sessionId: string): Promise<Grant | null> {
    return grants.getGrant(this.#s, sessionId);
  }
  rotateGrant(
    familyId: string,
    generation: number,
    now: number,
    expiresAt: number,
    reuseGraceMs?: number,
    retryKey?: string | null,
  ) {
    return grants.rotateGrant(this.#s, familyId, generation, now, expiresAt, reuseGraceMs, retryKey);
  }
  revokeGrants(sessionIds: readonly string[], at: number, reason: string): Promise<void> {
    return grants.revokeGrants(this.#s, sessionIds, at, reason);
  }
  purgeGrants(before: number, limit: number): Promise<number> {
    return this.#s.d.run(this.#s.q.grantPurge, [before, limit]);
  }

  // Bans
  banPlayer(b: Ban): Promise<boolean> {
    return bans.banPlayer(this.#s, b);
  }
  liftBan(playerId: string, lift: { at: number; by: string; reason: string }): Promise<Ban | null> {
    return bans.liftBan(this.#s, playerId, lift);
  }
  currentBan(playerId: string, at: number): Promise<Ban | null> {
    return this.#bans.current(playerId, at);
  }
  listBans(q: BanQuery): Promise<Ban[]> {
    return bans.listBans(this.#s, q);
  }

  // Breakers, flags and the entitlement cache
  async getBreaker(name: string): Promise<BreakerState | null> {
    const r = await this.#s.d.one(this.#s.q.breakerByName, [name]);
    return r ? toBreaker(r) : null;
  }
  setBreaker(b: BreakerState): Promise<boolean> {
    return this.#changed(this.#s.q.breakerSet, [b.name, b.state, b.changedAt, b.changedBy, b.reason]);
  }
  async listFlags(): Promise<FlagRecord[]> {
    return (await this.#s.d.all(this.#s.q.flagsList)).map(toFlag);
  }
  async setFlag(f: FlagRecord): Promise<void> {
    await this.#s.d.run(this.#s.q.flagUpsert, [
      f.key,
      JSON.stringify(f.value),
      f.updatedAt,
      f.updatedBy,
      f.reason,
    ]);
  }
  async rememberEntitlement(playerId: string, licence: string, verifiedAt: number): Promise<void> {
    await this.#s.d.run(this.#s.q.entitlementRemember, [playerId, licence, verifiedAt]);
  }
  async lastKnownEntitlement(playerId: string): Promise<{ licence: string; verifiedAt: number } | null> {
    const r = await this.#s.d.one(this.#s.q.entitlementLastKnown, [playerId]);
    return r ? { licence: str(r.licence), verifiedAt: num(r.verified_at) } : null;
  }

  // Signing and MAC keys
  async signingKeys(): Promise<SigningKey[]> {
    return (await this.#s.d.all(this.#s.q.keysList)).map(toSigningKey);
  }
  addFirstSigningKey(k: SigningKey): Promise<void> {
    return addFirstKey(this.#s, this.#s.q.keyInsertFirst, signingKeyParams(k));
  }
  async addSigningKey(k: SigningKey): Promise<void> {
    await this.#s.d.run(this.#s.q.keyInsert, signingKeyParams(k));
  }
  async resealSigningKey(kid: string, sealedKey: string): Promise<void> {
    await this.#s.d.run(this.#s.q.keyReseal, [kid, sealedKey]);
  }
  retireSigningKeys(kids: readonly string[], at: number): Promise<void> {
    return retireKeys(this.#s, this.#s.q.keyRetire, kids, at);
  }
  async macKeys(): Promise<MacKey[]> {
    return (await this.#s.d.all(this.#s.q.macKeysList)).map(toMacKey);
  }
  addFirstMacKey(k: MacKey): Promise<void> {
    return addFirstKey(this.#s, this.#s.q.macKeyInsertFirst, macKeyParams(k));
  }
  async addMacKey(k: MacKey): Promise<void> {
    await this.#s.d.run(this.#s.q.macKeyInsert, macKeyParams(k));
  }
  retireMacKeys(kids: readonly string[], at: number): Promise<void> {
    return retireKeys(this.#s, this.#s.q.macKeyRetire, kids, at);
  }

  // Incidents
  declareIncident(i: IncidentHeader, roles: readonly RoleHandOff[]): Promise<boolean> {
    return incidents.declareIncident(this.#s, i, roles);
  }
  getIncident(id: string): Promise<Incident | null> {
    return incidents.getIncident(this.#s, id);
  }
  listIncidents(q: IncidentQuery): Promise<IncidentHeader[]> {
    return incidents.listIncidents(this.#s, q);
  }
  updateIncident(i: IncidentHeader, version: number): Promise<boolean> {
    return incidents.updateIncident(this.#s, i, version);
  }
  handOffRole(e: RoleHandOff & { id: string }): Promise<void> {
    return incidents.handOffRole(this.#s, e);
  }
  addIncidentUpdate(u: PublicUpdate): Promise<boolean> {
    return incidents.addIncidentUpdate(this.#s, u);
  }
  incidentUpdates(incidentId: string): Promise<PublicUpdate[]> {
    return incidents.incidentUpdates(this.#s, incidentId);
  }
  incidentUpdatesSince(since: number, limit: number): Promise<PublicUpdate[]> {
    return incidents.incidentUpdatesSince(this.#s, since, limit);
  }
  addIncidentNote(n: Omit<IncidentNote, 'corrections'>): Promise<void> {
    return incidents.addIncidentNote(this.#s, n);
  }
  correctIncidentNote(
    incidentId: string,
    noteId: string,
    c: NoteCorrection & { id: string },
  ): Promise<boolean> {
    return incidents.correctIncidentNote(this.#s, incidentId, noteId, c);
  }
  claimDisruptions(incidentId: string, from: number, to: number | null): Promise<number> {
    return incidents.claimDisruptions(this.#s, incidentId, from, to);
  }
  incidentDisruptions(incidentId: string, afterId: string, limit: number): Promise<Disruption[]> {
    return incidents.incidentDisruptions(this.#s, incidentId, afterId, limit);
  }
  // The notification outbox
  enqueueOutbox(m: OutboxMessage): Promise<{ id: string; replaced: boolean }> {
    return outbox.enqueueOutbox(this.#s, m);
  }
  dueOutbox(destination: string, now: number, limit: number): Promise<OutboxMessage[]> {
    return outbox.dueOutbox(this.#s, destination, now, limit);
  }
  markOutboxSent(id: string, version: number, at: number): Promise<boolean> {
    return outbox.changed(this.#s, this.#s.q.outboxSent, [at, id, version]);
  }
  retryOutbox(id: string, version: number, nextAttemptAt: number, error: string): Promise<boolean> {
    return outbox.changed(this.#s, this.#s.q.outboxRetry, [nextAttemptAt, error, id, version]);
  }
  markOutboxDead(id: string, version: number, at: number, error: string): Promise<boolean> {
    return outbox.changed(this.#s, this.#s.q.outboxDead, [at, error, id, version]);
  }
  listOutbox(query: OutboxQuery): Promise<OutboxMessage[]> {
    return outbox.listOutbox(this.#s, query);
  }
  purgeOutbox(before: number, limit: number): Promise<number> {
    return this.#s.d.run(this.#s.q.outboxPurge, [before, limit]);
  }

  // Signals
  raiseSignal(sig: Signal) {
    return signals.raiseSignal(this.#s, sig);
  }
  resolveSignal(fingerprint: string, at: number): Promise<Signal | null> {
    return signals.resolveSignal(this.#s, fingerprint, at);
  }
  listSignals(q: SignalQuery): Promise<Signal[]> {
    return signals.listSignals(this.#s, q);
  }
  getSignal(id: string): Promise<Signal | null> {
    return signals.getSignal(this.#s, id);
  }
  linkSignalIncident(id: string, incidentId: string): Promise<boolean> {
    return signals.linkSignalIncident(this.#s, id, incidentId);
  }
  recordGrants(grants: readonly CompensationGrant[]): Promise<CompensationGrant[]> {
    return followUp.recordGrants(this.#s, grants);
  }
  listGrants(incidentId: string): Promise<CompensationGrant[]> {
    return followUp.listGrants(this.#s, incidentId);
  }
  getPostmortem(incidentId: string): Promise<Postmortem | null> {
    return followUp.getPostmortem(this.#s, incidentId);
  }
  savePostmortem(postmortem: Postmortem): Promise<void> {
    return followUp.savePostmortem(this.#s, postmortem);
  }
  saveAction(action: ActionItem): Promise<void> {
    return followUp.saveAction(this.#s, action);
  }
  deleteAction(id: string): Promise<boolean> {
    return followUp.deleteAction(this.#s, id);
  }
  listActions(query: ActionQuery): Promise<ActionItem[]> {
    return followUp.listActions(this.#s, query);
  }
}
