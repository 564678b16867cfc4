/** Read-only lists: disruptions, the audit log with its verification, signals. */
import { api } from './api.ts';
import { h, table, when } from './dom.ts';
import { can } from './state.ts';
import type { AuditEntry, Ban, Disruption, Signal } from './wire.ts';

export async function renderDisruptions(root: HTMLElement): Promise<void> {
  const from = Date.now() - 24 * 3600 * 1000;
  const { disruptions } = await api<{ disruptions: Disruption[] }>(
    'GET',
    `/admin/v1/disruptions?from=${from}&limit=10000`,
  );
  const last = disruptions.slice(-50).reverse();
  root.replaceChildren(
    h('p', {}, `${disruptions.length} disruption records in the last 24 hours; the newest 50:`),
    table(
      'Disruption records',
      ['at', 'player', 'cause', 'command', 'where', 'outcome', 'restore'],
      last.map((d) => [
        when(d.at),
        d.playerId,
        d.cause,
        d.commandId ?? '—',
        `${d.snapshot.region}/${d.snapshot.shard}`,
        d.outcomeReason ? `${d.outcome} (${d.outcomeReason})` : d.outcome,
        d.restoreId ?? '—',
      ]),
    ),
  );
}

export async function renderAudit(root: HTMLElement): Promise<void> {
  if (!can('audit.read')) {
    root.replaceChildren(h('p', {}, 'Your role may not read the audit log.'));
    return;
  }
  const from = Date.now() - 24 * 3600 * 1000;
  const [verify, { entries }] = await Promise.all([
    api<{ ok: boolean; message: string }>('GET', '/admin/v1/audit/verify'),
    api<{ entries: AuditEntry[] }>('GET', `/admin/v1/audit?from=${from}&limit=1000`),
  ]);
  root.replaceChildren(
    h(
      'p',
      { id: 'audit-verify', 'data-ok': String(verify.ok), class: verify.ok ? 'good' : 'bad' },
      verify.ok ? 'Chain verified: ' : 'Chain NOT verified: ',
      verify.message,
    ),
    table(
      'Newest audit entries',
      ['seq', 'at', 'actor', 'action', 'target', 'result'],
      entries
        .slice(-50)
        .reverse()
        .map((e) => [e.seq, when(e.at), e.actor, e.action, e.target, e.result]),
    ),
  );
}

export async function renderSignals(root: HTMLElement): Promise<void> {
  const { signals } = await api<{ signals: Signal[] }>('GET', '/admin/v1/signals?state=all&limit=50');
  root.replaceChildren(
    signals.length
      ? table(
          'Signals, newest first',
          ['severity', 'title', 'detector', 'started', 'resolved'],
          signals.map((s) => [s.severity, s.title, s.detector, when(s.startedAt), when(s.resolvedAt)]),
        )
      : h('p', {}, 'No signal.'),
  );
}

export async function renderBans(root: HTMLElement): Promise<void> {
  const { bans } = await api<{ bans: Ban[] }>('GET', '/admin/v1/bans?limit=1000');
  root.replaceChildren(
    bans.length
      ? table(
          'Bans',
          // Only bans standing now are listed, so none is lifted: when each ends is what matters.
          ['player', 'reason', 'by', 'at', 'expires'],
          bans.map((b) => [
            b.playerId,
            b.reason,
            b.bannedBy,
            when(b.at),
            b.expiresAt ? when(b.expiresAt) : 'never',
          ]),
        )
      : h('p', {}, 'No ban.'),
  );
}
