/** The console page: sign-in, the views, and the live stream that keeps them current. */
import { api, type Me, setCsrf } from './api.ts';
import { OnlineChart } from './chart.ts';
import { kickForm, renderCommands } from './commands.ts';
import { announce, h, table } from './dom.ts';
import { renderAudit, renderBans, renderDisruptions, renderSignals } from './lists.ts';
import { renderRestores, restoreForm } from './restores.ts';
import { renderSafety } from './safety.ts';
import { can, remember, state } from './state.ts';

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const chart = new OnlineChart();
const shards = h('div', { id: 'shards' });
const panes: Record<string, HTMLElement> = {};
const renderers: Record<string, () => Promise<void>> = {};

function pane(
  id: string,
  title: string,
  permission: string | null,
  ...top: (HTMLElement | null)[]
): HTMLElement {
  const body = h('div', { id: `${id}-body` });
  const section = h(
    'section',
    { id: `view-${id}`, 'aria-labelledby': `${id}-title`, hidden: true },
    h('h2', { id: `${id}-title`, tabindex: -1 }, title),
    permission && !can(permission) ? h('p', {}, 'Your role may not see this.') : null,
    ...top,
    body,
  );
  panes[id] = section;
  return body;
}

function buildViews(): void {
  const commandsBody = pane(
    'commands',
    'Commands',
    'commands.read',
    can('commands.kick') ? kickForm() : null,
  );
  const restoresBody = pane('restores', 'Restores', 'restores.read', restoreForm());
  const safetyBody = pane('safety', 'Kick breaker and flags', 'flags.read');
  const disruptionsBody = pane('disruptions', 'Disruptions', 'disruptions.read');
  const auditBody = pane('audit', 'Audit log', 'audit.read');
  const signalsBody = pane('signals', 'Signals', 'signals.read');
  const bansBody = pane('bans', 'Bans', 'bans.read');
  pane('overview', 'Players online', 'sessions.read', chart.element, shards);
  renderers.command = () => renderCommands(commandsBody);
  renderers.restore = () => renderRestores(restoresBody);
  if (can('flags.read')) renderers.flags = renderers.breaker = () => renderSafety(safetyBody);
  if (can('disruptions.read')) renderers.disruptions = () => renderDisruptions(disruptionsBody);
  if (can('audit.read')) renderers.audit = () => renderAudit(auditBody);
  if (can('signals.read')) renderers.signal = () => renderSignals(signalsBody);
  if (can('bans.read')) renderers.bans = () => renderBans(bansBody);
  $('views').replaceChildren(...Object.values(panes));
}

const timers = new Map<string, number>();
/** Re-reads one kind soon, once however many changes arrive meanwhile (the API rate-limits). */
function refresh(kind: string): void {
  const render = renderers[kind];
  if (!render || timers.has(kind)) return;
  timers.set(
    kind,
    window.setTimeout(() => {
      timers.delete(kind);
      render().catch((err: unknown) => announce(String((err as Error).message), true));
    }, 300),
  );
}

function onOnline(data: {
  at: number;
  total: number;
  byRegion: Record<string, number>;
  byShard: Record<string, number>;
}): void {
  chart.add(data);
  shards.replaceChildren(
    h('p', { id: 'online-total' }, `${data.total} players online`),
    table(
      'Players online by shard',
      ['shard', 'players'],
      Object.entries(data.byShard)
        .sort()
        .map(([s, n]) => [s, n]),
    ),
  );
}

function connect(): void {
  const source = new EventSource('/admin/v1/stream');
  source.addEventListener('online', (e) => onOnline(JSON.parse((e as MessageEvent).data)));
  source.addEventListener('changed', (e) => {
    const change = JSON.parse((e as MessageEvent).data) as { kind: string; id: string | null };
    if (change.kind === 'command' && change.id) remember(state.commands, change.id);
    if (change.kind === 'restore' && change.id) remember(state.restores, change.id, 10);
    if (change.kind === 'command') refresh('disruptions');
    if (change.kind === 'audit') refresh('bans');
    refresh(change.kind);
  });
  source.addEventListener('hello', () => {
    $('status').dataset.stream = 'open';
    for (const kind of Object.keys(renderers)) refresh(kind);
  });
  source.onerror = () => {
    $('status').dataset.stream = 'retrying';
  };
}

function show(): void {
  const view = location.hash.slice(1) || 'overview';
  for (const [id, section] of Object.entries(panes)) section.hidden = id !== view;
  for (const a of document.querySelectorAll('nav a'))
    if (a.getAttribute('href') === `#${view}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  $('main').dataset.view = view;
}

function signedIn(me: Me): void {
  state.me = me;
  setCsrf(me.csrf);
  $('who').textContent =
    `Signed in as ${me.operator.name} (${me.operator.role}${me.via === 'sso' ? ', SSO' : ''})`;
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  $('nav').hidden = false;
  $('views').hidden = false;
  buildViews();
  show();
  connect();
}

async function start(): Promise<void> {
  window.addEventListener('hashchange', () => {
    show();
    document.getElementById(`${location.hash.slice(1)}-title`)?.focus();
  });
  document.addEventListener('lifeline:changed', (e) => refresh((e as CustomEvent).detail.kind));
  $('sign-out').addEventListener('click', async () => {
    await api('DELETE', '/console/session').catch(() => undefined);
    location.reload();
  });
  $('token-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = ($('token') as HTMLInputElement).value.trim();
    await api<Me>('POST', '/console/session', { token }).then(signedIn, () =>
      announce('That token was refused.', true),
    );
  });
  const sso = await api<{ enabled: boolean }>('GET', '/console/sso').catch(() => ({ enabled: false }));
  $('sso').hidden = !sso.enabled;
  const me = await api<Me>('GET', '/console/session').catch(() => null);
  if (me) signedIn(me);
}

void start();
