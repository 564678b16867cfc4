/**
 * What each kind of destination receives, in its own published shape, without any secret (the
 * sender adds PagerDuty's routing key and the webhook's signature at send time, so the outbox
 * never stores them):
 * - PagerDuty Events API v2: one event per alert, `dedup_key` = the signal's fingerprint, so a
 *   re-send is deduplicated by PagerDuty and the resolve closes the same alert.
 * - Discord webhook (execute): `content` plus embeds within Discord's limits (content 2,000
 *   characters; 10 embeds; title 256, description 4,096, 25 fields of 256/1,024, footer 2,048;
 *   6,000 characters over all embeds), mentions disabled.
 * - Slack incoming webhook: `text` (the notification fallback) and Block Kit `blocks` (a header of
 *   at most 150 characters, sections of at most 3,000, at most 50 blocks).
 * - Generic webhook: `lifeline-routing/1` JSON, one document per notification.
 */
import type { Severity, Signal } from '../signals/records.ts';
import type { Note, Notification } from './policy.ts';

/** PagerDuty's severities for Lifeline's: a P1 is critical, a P2 an error, a P3 a warning. */
export const pagerDutySeverity: Record<Severity, 'critical' | 'error' | 'warning'> = {
  P1: 'critical',
  P2: 'error',
  P3: 'warning',
};

/** Cuts `s` to `max` characters, marking the cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function dimensionsText(d: Record<string, string>): string {
  const parts = Object.entries(boundedDimensions(d)).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? 'all' : parts.join(', ');
}

function localisationText(s: Signal): string {
  const top = s.localisation.slice(0, 3);
  if (top.length === 0) return 'nothing stands out';
  return top.map((e) => `${Math.round(e.share * 100)}%: ${e.dimension} ${e.values.join(', ')}`).join('; ');
}

/** At most 20 dimensions, names and values cut to 256 characters: a signal from intake is hostile. */
function boundedDimensions(d: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(d)
      .slice(0, 20)
      .map(([k, v]) => [clip(k, 256), clip(String(v), 256)]),
  );
}

/** A PagerDuty Events v2 event, without `routing_key`. */
export function pagerDutyEvent(note: Note, source: string): Record<string, unknown> {
  const s = note.signal;
  const dedup = clip(s.fingerprint, 255);
  if (note.action === 'resolve') return { event_action: 'resolve', dedup_key: dedup };
  return {
    event_action: 'trigger',
    dedup_key: dedup,
    client: 'Lifeline',
    payload: {
      summary: clip(`[${s.severity}] ${s.title}`, 1024),
      source: clip(source, 255),
      severity: pagerDutySeverity[s.severity],
      timestamp: iso(s.startedAt),
      component: clip(s.dimensions.dependency ?? s.dimensions.shard ?? s.detector, 255),
      group: clip(s.dimensions.region ?? 'global', 255),
      class: clip(s.detector, 255),
      custom_details: {
        signal_id: s.id,
        severity: s.severity,
        source: s.source,
        dimensions: boundedDimensions(s.dimensions),
        onset: iso(s.onsetAt),
        evidence: {
          statistic: s.evidence.statistic,
          threshold: s.evidence.threshold,
          observed: s.evidence.observed,
          expected: s.evidence.expected,
        },
        localisation: localisationText(s),
        incident_id: s.incidentId,
      },
    },
  };
}

const discordColour: Record<'resolve' | Severity, number> = {
  resolve: 0x2e7d32,
  P1: 0xc62828,
  P2: 0xef6c00,
  P3: 0xf9a825,
};

function headline(n: Notification): string {
  const firing = n.notes.filter((x) => x.action === 'trigger').length;
  const resolved = n.notes.length - firing;
  const parts = [firing > 0 ? `${firing} firing` : '', resolved > 0 ? `${resolved} resolved` : ''];
  return `${parts.filter(Boolean).join(', ')}: ${n.group}`;
}

function noteLine(note: Note): string {
  const s = note.signal;
  const verb = note.action === 'resolve' ? 'RESOLVED' : note.repeat ? 'STILL FIRING' : 'FIRING';
  return `${verb} [${s.severity}] ${s.title}`;
}

/** One embed per alert, within Discord's per-embed limits and the 6,000-character total. */
function discordEmbed(note: Note): Record<string, unknown> {
  const s = note.signal;
  return {
    title: clip(noteLine(note), 256),
    description: clip(`Where: ${dimensionsText(s.dimensions)}\nWhy: ${localisationText(s)}`, 1000),
    color: discordColour[note.action === 'resolve' ? 'resolve' : s.severity],
    fields: [
      { name: 'Detector', value: clip(s.detector, 1024), inline: true },
      { name: 'Observed / expected', value: `${s.evidence.observed} / ${s.evidence.expected}`, inline: true },
      { name: 'Fingerprint', value: clip(s.fingerprint, 1024), inline: false },
    ],
    timestamp: iso(note.action === 'resolve' ? (s.resolvedAt ?? s.startedAt) : s.startedAt),
    footer: { text: clip(`Lifeline signal ${s.id}`, 2048) },
  };
}

const embedChars = (e: Record<string, unknown>): number => JSON.stringify(e).length;

/** A Discord execute-webhook body. */
export function discordMessage(n: Notification): Record<string, unknown> {
  const embeds: Record<string, unknown>[] = [];
  let total = 0;
  for (const note of n.notes.slice(0, 10)) {
    const e = discordEmbed(note);
    // JSON length over-counts what Discord counts (only text), so staying under it is safe.
    if (total + embedChars(e) > 5500) break;
    total += embedChars(e);
    embeds.push(e);
  }
  const more = n.notes.length - embeds.length;
  const content = clip(`**Lifeline** ${headline(n)}${more > 0 ? ` (${more} more not shown)` : ''}`, 2000);
  return { username: 'Lifeline', content, embeds, allowed_mentions: { parse: [] } };
}

/** A Slack incoming-webhook body. */
export function slackMessage(n: Notification): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`Lifeline: ${headline(n)}`, 150) } },
  ];
  for (const note of n.notes.slice(0, 48)) {
    const s = note.signal;
    const text = `*${noteLine(note)}*\nWhere: ${dimensionsText(s.dimensions)}\nWhy: ${localisationText(s)}\n\`${s.fingerprint}\``;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(text, 3000) } });
  }
  if (n.notes.length > 48)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${n.notes.length - 48} more not shown` }],
    });
  return { text: clip(`Lifeline: ${headline(n)}`, 3000), blocks };
}

/** The generic webhook's document (docs/ROUTING.md describes it and its signature). */
export function webhookDocument(n: Notification): Record<string, unknown> {
  return {
    version: 'lifeline-routing/1',
    group: n.group,
    at: iso(n.at),
    alerts: n.notes.map((note) => ({
      action: note.action,
      repeat: note.repeat,
      fingerprint: note.signal.fingerprint,
      signal: note.signal,
    })),
  };
}

/**
 * A public message about an incident (src/comms), for one kind of chat or webhook destination.
 * PagerDuty pages people about signals; it takes no public messages (null).
 */
export interface Announcement {
  /** Stable per message: the outbox's dedup key, and the webhook's `id`. */
  id: string;
  incidentId: string;
  kind: 'announcement' | 'update' | 'all-clear';
  severity: string;
  status: string;
  regions: readonly string[];
  text: string;
  at: number;
}

export function announcementPayload(
  kind: 'pagerduty' | 'discord' | 'slack' | 'webhook',
  a: Announcement,
): Record<string, unknown> | null {
  switch (kind) {
    case 'pagerduty':
      return null;
    case 'discord':
      return { username: 'Lifeline', content: clip(a.text, 2000), allowed_mentions: { parse: [] } };
    case 'slack':
      return {
        text: clip(a.text, 3000),
        blocks: [{ type: 'section', text: { type: 'plain_text', text: clip(a.text, 3000) } }],
      };
    case 'webhook':
      return {
        version: 'lifeline-comms/1',
        id: a.id,
        incidentId: a.incidentId,
        kind: a.kind,
        severity: a.severity,
        status: a.status,
        regions: a.regions,
        at: iso(a.at),
        text: a.text,
      };
  }
}
