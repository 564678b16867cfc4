/**
 * Intake: signals other tools raise (seed 002: "alerts from error trackers … start the response").
 * Two payloads are accepted on `POST /admin/v1/signals`:
 * - Alertmanager's webhook (version 4): each alert firing raises (or updates) the signal with the
 *   alert's fingerprint, each resolved one resolves it;
 * - a Sentry issue webhook (`{action, data: {issue}}`): `created`/`unresolved` raise, `resolved`/
 *   `archived`/`ignored` resolve, by issue id.
 * The whole body is checked before anything is stored: one bad alert refuses the lot (400
 * SIGNAL_PAYLOAD_INVALID naming the field), so a sender retrying a fixed payload never doubles.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { LifelineError } from '../errors/index.ts';
import type { RaiseInput, Severity } from './records.ts';

export type IntakeAction =
  | { kind: 'raise'; input: RaiseInput }
  | { kind: 'resolve'; fingerprint: string; at: number };

/** Bounds on what one body may carry: hostile input cannot grow memory or rows without bound. */
const MAX_ALERTS = 500;
const MAX_LABELS = 64;
const MAX_KEY = 128;
const MAX_TEXT = 1024;

type Obj = Record<string, unknown>;

function invalid(detail: string): never {
  throw new LifelineError('SIGNAL_PAYLOAD_INVALID', undefined, { details: { detail } });
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Control characters (an alert description's newlines) become spaces: a signal's text goes on to
 * logs, consoles and chat, where a newline could forge a line.
 */
function clean(v: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return v.replace(/[\u0000-\u001F\u007F-\u009F]/g, ' ');
}

function text(v: unknown, field: string, max = MAX_TEXT): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    invalid(`${field} must be a string of 1-${max} characters`);
  return clean(v);
}

function optionalText(v: unknown, field: string): string | undefined {
  return v === undefined || v === '' ? undefined : text(v, field);
}

function labels(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v)) invalid(`${field} must be an object of strings`);
  const entries = Object.entries(v);
  if (entries.length > MAX_LABELS) invalid(`${field} has more than ${MAX_LABELS} entries`);
  const out: [string, string][] = [];
  for (const [k, value] of entries) {
    if (k.length === 0 || k.length > MAX_KEY) invalid(`${field} has a key that is empty or too long`);
    if (typeof value !== 'string' || value.length > MAX_TEXT)
      invalid(`${field}.${clean(k)} must be a string`);
    out.push([clean(k), clean(value)]);
  }
  // Own properties only (a `__proto__` label stays a label).
  return Object.fromEntries(out);
}

function time(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  const at = Date.parse(text(v, field, 64));
  if (!Number.isFinite(at)) invalid(`${field} is not an RFC 3339 time`);
  // Alertmanager's "not ended" is year 1, a negative epoch: no time at all.
  return at > 0 ? at : undefined;
}

function severityOf(label: string | undefined): Severity {
  const s = (label ?? '').toLowerCase();
  if (['critical', 'page', 'p1', 'p0', 'fatal'].includes(s)) return 'P1';
  if (['info', 'p3', 'low', 'debug'].includes(s)) return 'P3';
  return 'P2';
}

function alertAction(alert: unknown, i: number, now: number): IntakeAction {
  const field = `alerts[${i}]`;
  if (!isObj(alert)) invalid(`${field} must be an object`);
  const status = alert.status;
  if (status !== 'firing' && status !== 'resolved') invalid(`${field}.status must be firing or resolved`);
  const all = labels(alert.labels, `${field}.labels`);
  const { alertname, severity, ...dimensions } = all;
  const name = text(alertname, `${field}.labels.alertname`, MAX_KEY);
  const annotations = labels(alert.annotations, `${field}.annotations`);
  const startsAt = time(alert.startsAt, `${field}.startsAt`);
  const endsAt = time(alert.endsAt, `${field}.endsAt`);
  const own = optionalText(alert.fingerprint, `${field}.fingerprint`);
  // Without Alertmanager's fingerprint, the labels are the identity (as Alertmanager's own is).
  const id =
    own ??
    createHash('sha256')
      .update(JSON.stringify(Object.entries(all).sort()))
      .digest('hex')
      .slice(0, 16);
  const fingerprint = `alertmanager:${id}`;
  if (status === 'resolved') return { kind: 'resolve', fingerprint, at: Math.min(endsAt ?? now, now) };
  return {
    kind: 'raise',
    input: {
      source: 'alertmanager',
      detector: name,
      severity: severityOf(severity),
      title: annotations.summary ?? annotations.description ?? name,
      dimensions,
      fingerprint,
      onsetAt: startsAt === undefined ? now : Math.min(startsAt, now),
      startedAt: now,
    },
  };
}

function alertmanager(body: Obj, now: number): IntakeAction[] {
  if (body.version !== '4') invalid('version must be "4" (Alertmanager webhook format)');
  if (body.status !== 'firing' && body.status !== 'resolved') invalid('status must be firing or resolved');
  const alerts = body.alerts;
  if (!Array.isArray(alerts) || alerts.length === 0 || alerts.length > MAX_ALERTS)
    invalid(`alerts must be a list of 1-${MAX_ALERTS} alerts`);
  return alerts.map((a, i) => alertAction(a, i, now));
}

const sentryRaises = new Set(['created', 'unresolved']);
const sentryResolves = new Set(['resolved', 'archived', 'ignored']);

function sentry(body: Obj, now: number): IntakeAction[] {
  const action = text(body.action, 'action', 32);
  const issue =
    isObj(body.data) && isObj(body.data.issue) ? body.data.issue : invalid('data.issue must be an object');
  const rawId = issue.id;
  const id =
    typeof rawId === 'number' && Number.isSafeInteger(rawId)
      ? String(rawId)
      : text(rawId, 'data.issue.id', 64);
  const fingerprint = `sentry:${id}`;
  if (sentryResolves.has(action)) return [{ kind: 'resolve', fingerprint, at: now }];
  // Assignment and the like change nothing a responder needs paged about.
  if (!sentryRaises.has(action)) return [];
  const project = isObj(issue.project)
    ? optionalText(issue.project.slug, 'data.issue.project.slug')
    : undefined;
  const level = optionalText(issue.level, 'data.issue.level');
  const culprit = optionalText(issue.culprit, 'data.issue.culprit');
  const firstSeen = time(issue.firstSeen, 'data.issue.firstSeen');
  return [
    {
      kind: 'raise',
      input: {
        source: 'sentry',
        detector: 'sentry-issue',
        severity: level === 'fatal' ? 'P1' : level === 'error' ? 'P2' : 'P3',
        title: text(issue.title, 'data.issue.title'),
        dimensions: { ...(project ? { project } : {}), ...(culprit ? { culprit } : {}) },
        fingerprint,
        onsetAt: firstSeen === undefined ? now : Math.min(firstSeen, now),
        startedAt: now,
      },
    },
  ];
}

/** What a body asks for, all checked before any of it is done; throws SIGNAL_PAYLOAD_INVALID. */
export function parseIntake(body: unknown, now: number): IntakeAction[] {
  if (!isObj(body)) invalid('the body must be a JSON object');
  if ('alerts' in body) return alertmanager(body, now);
  if ('data' in body && 'action' in body) return sentry(body, now);
  invalid('neither an Alertmanager (alerts[]) nor a Sentry issue ({action, data.issue}) payload');
}

function sameSecret(a: Buffer, b: Buffer): boolean {
  // Digests first, so the comparison takes the same time whatever the lengths.
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** Whether a bearer token is the configured intake secret (never when none is configured). */
export function bearerIsIntakeSecret(secret: string, bearer: string | undefined): boolean {
  return secret !== '' && bearer !== undefined && sameSecret(Buffer.from(secret), Buffer.from(bearer));
}

/** Whether `signature` is the hex HMAC-SHA256 of the raw body under the intake secret (Sentry's `Sentry-Hook-Signature`). */
export function signatureMatches(secret: string, rawBody: string, signature: string): boolean {
  if (secret === '' || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(rawBody, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
