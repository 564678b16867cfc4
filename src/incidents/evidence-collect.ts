/**
 * Gathers an incident's evidence from the record store and the audit anchor and writes the
 * archive (./evidence.ts). The request is itself audited (`incident.evidence`) and then
 * checkpointed, so the archive's rows always link to a checkpoint signed after the window.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AuditLog,
  type AuditSigner,
  CHECKPOINTS_FILE,
  type Checkpoint,
  readCheckpoints,
} from '../audit/index.ts';
import type { AuditEntry } from '../audit/records.ts';
import { commandStates } from '../commands/records.ts';
import type { Disruption } from '../disruptions/records.ts';
import { LifelineError } from '../errors/index.ts';
import type { RecordStore } from '../store/index.ts';
import { type EvidenceManifest, writeEvidence } from './evidence.ts';
import { type ImpactSettings, impactOf } from './impact.ts';
import { buildTimeline, linksOf } from './timeline.ts';

export interface EvidenceDeps {
  store: Pick<
    RecordStore,
    | 'getIncident'
    | 'listAudit'
    | 'readAuditPage'
    | 'incidentDisruptions'
    | 'listCommands'
    | 'listSignals'
    | 'claimDisruptions'
  >;
  audit: AuditLog;
  signer: AuditSigner;
  /** Writes a checkpoint of everything appended so far (the anchoring's checkpointer). */
  checkpoint: () => Promise<void>;
  anchorDir: string;
  settings: ImpactSettings;
  clock: () => number;
  /** A JSON-lines log file of this node (pino's `time` in ms), if it logs to one. */
  logFile?: string;
}

const PAGE = 1000;
const MAX_ROWS = 500_000;

async function pagedDisruptions(store: EvidenceDeps['store'], id: string): Promise<Disruption[]> {
  const out: Disruption[] = [];
  for (let after = ''; ; ) {
    const page = await store.incidentDisruptions(id, after, PAGE);
    out.push(...page);
    if (page.length < PAGE) return out;
    after = page.at(-1)?.id ?? after;
  }
}

/** Rows `fromSeq..toSeq` of the chain. */
async function chainRows(
  store: EvidenceDeps['store'],
  fromSeq: number,
  toSeq: number,
): Promise<AuditEntry[]> {
  if (toSeq - fromSeq + 1 > MAX_ROWS) {
    throw new LifelineError('INCIDENT_EVIDENCE_TOO_LARGE', undefined, {
      details: { fromSeq, toSeq, max: MAX_ROWS },
    });
  }
  const out: AuditEntry[] = [];
  for (let after = fromSeq - 1; after < toSeq; ) {
    const page = await store.readAuditPage(after, Math.min(PAGE, toSeq - after));
    if (page.length === 0) break;
    out.push(...page);
    after = page.at(-1)?.seq ?? toSeq;
  }
  return out;
}

/** The first and last audit rows of the window (from, to inclusive). */
async function windowSeqs(store: EvidenceDeps['store'], from: number, to: number) {
  const first = (await store.listAudit({ from, to, limit: 1 }))[0]?.seq ?? null;
  let last: number | null = first;
  for (let after = first === null ? null : first - 1; after !== null; ) {
    const page = await store.listAudit({ from, to, afterSeq: after, limit: PAGE });
    if (page.length === 0) break;
    last = page.at(-1)?.seq ?? last;
    after = page.length < PAGE ? null : last;
  }
  return { first, last };
}

async function logLines(file: string, from: number, to: number): Promise<string> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => {
      try {
        const t = (JSON.parse(line) as { time?: unknown }).time;
        return typeof t === 'number' && t >= from && t <= to;
      } catch {
        return false;
      }
    })
    .map((l) => `${l}\n`)
    .join('');
}

const notIncludedAlways = {
  probes:
    'probe results are not stored by Lifeline (only the lifeline_probe_* metrics): see Prometheus for the window',
  metrics:
    'metric snapshots are not stored by Lifeline: scrape /metrics (Prometheus keeps the history for the window)',
};

/** Writes the evidence archive of incident `id` into `dir`; returns its manifest. */
export async function collectEvidence(
  deps: EvidenceDeps,
  id: string,
  dir: string,
  actor: string,
): Promise<EvidenceManifest> {
  const { store } = deps;
  const incident = await store.getIncident(id);
  if (!incident) throw new LifelineError('INCIDENT_NOT_FOUND');
  const now = deps.clock();
  const window = { from: incident.startedAt, to: incident.resolvedAt ?? now };
  if (incident.resolvedAt === null) await store.claimDisruptions(id, incident.startedAt, null);
  await deps.audit.append({
    actor,
    action: 'incident.evidence',
    target: `incident:${id}`,
    details: { incidentId: id, from: window.from, to: window.to },
    result: 'written',
  });
  await deps.checkpoint();
  const checkpoint = newestCheckpoint(deps);
  const seqs = await windowSeqs(store, window.from, window.to);
  const rows = await chainRows(store, seqs.first ?? checkpoint.seq, checkpoint.seq);
  const windowRows = rows.filter((e) => e.at >= window.from && e.at <= window.to);
  const disruptions = await pagedDisruptions(store, id);
  const commands = (await store.listCommands(commandStates)).filter(
    (c) => c.requestedAt <= window.to && (c.finishedAt ?? now) >= window.from,
  );
  const signals = (await store.listSignals({ state: 'all', since: window.from, limit: 1000 })).filter(
    (s) => s.startedAt <= window.to,
  );
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  const files: Record<string, string> = {
    'incident.json': json(incident),
    'timeline.json': json({ items: buildTimeline(incident, windowRows), links: linksOf(windowRows) }),
    'impact.json': json(impactOf(incident, disruptions, deps.settings, now)),
    'disruptions.json': json(disruptions),
    'commands.json': json(commands),
    'signals.json': json(signals),
  };
  const notIncluded: Record<string, string> = { ...notIncludedAlways };
  if (deps.logFile === undefined) {
    notIncluded.logs =
      "this node logs to stdout (pino JSON lines), not to a file Lifeline knows: give --log-file to include the window's lines";
  } else {
    files['lifeline.log'] = await logLines(deps.logFile, window.from, window.to);
  }
  return writeEvidence(
    dir,
    {
      incidentId: id,
      createdAt: now,
      window,
      auditRows: rows,
      windowSeqs: seqs,
      checkpoint: checkpoint.cp,
      checkpointLine: checkpoint.line,
      anchoredLines: checkpoint.all
        .filter(
          (c) => c.seq >= (rows[0]?.seq ?? checkpoint.seq) && c.seq <= checkpoint.seq && c !== checkpoint.cp,
        )
        .map((c) => JSON.stringify(c)),
      files,
      notIncluded,
    },
    deps.signer,
  );
}

function newestCheckpoint(deps: EvidenceDeps): {
  cp: Checkpoint;
  line: string;
  seq: number;
  all: Checkpoint[];
} {
  const { valid } = readCheckpoints(join(deps.anchorDir, CHECKPOINTS_FILE), deps.signer.publicKey);
  const cp = valid.reduce<Checkpoint | undefined>(
    (a, c) => (a === undefined || c.seq >= a.seq ? c : a),
    undefined,
  );
  if (cp === undefined)
    throw new LifelineError('AUDIT_ANCHOR_INVALID', 'The anchor holds no checkpoint to link the evidence to');
  return { cp, line: JSON.stringify(cp), seq: cp.seq, all: valid };
}
