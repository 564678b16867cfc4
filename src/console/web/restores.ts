/** Restores: start one from a command, and each known restore's progress with pause and resume. */
import { type ApiError, api } from './api.ts';
import { announce, field, h } from './dom.ts';
import { askTotp, can, remember, state } from './state.ts';
import type { RestoreStatus } from './wire.ts';

async function startRestore(form: HTMLFormElement, out: HTMLElement): Promise<void> {
  const data = new FormData(form);
  const commandId = String(data.get('commandId') ?? '').trim();
  const pacing = {
    mode: 'fixed',
    batchSize: Number(data.get('batchSize') ?? 50),
    intervalMs: Number(data.get('intervalMs') ?? 1000),
  };
  const dry = await api<{ plan: { total: number; restorable?: number } }>('POST', '/admin/v1/restores', {
    commandId,
    dryRun: true,
  });
  out.replaceChildren(
    h('p', {}, `Plan: ${dry.plan.restorable ?? dry.plan.total} restorable of ${dry.plan.total} records.`),
  );
  const count = Number(dry.plan.restorable ?? dry.plan.total);
  const totp = count > 1 ? await askTotp(out, 'step-up for this restore') : undefined;
  if (totp === null) return announce('Restore not started.');
  const res = await api<RestoreStatus>('POST', '/admin/v1/restores', {
    commandId,
    pacing,
    ...(totp ? { totp } : {}),
  });
  remember(state.restores, res.restore.id, 10);
  announce(`Restore ${res.restore.id} is ${res.restore.state}.`);
  document.dispatchEvent(
    new CustomEvent('lifeline:changed', { detail: { kind: 'restore', id: res.restore.id } }),
  );
}

export function restoreForm(): HTMLElement | null {
  if (!can('restores.start')) return null;
  const out = h('div', { 'aria-live': 'polite' });
  const [cl, cmd] = field('Command id to restore', {
    name: 'commandId',
    required: true,
    autocomplete: 'off',
  });
  const [bl, batch] = field('Batch size', { name: 'batchSize', type: 'number', min: 1, value: 50 });
  const [il, interval] = field('Interval (ms)', { name: 'intervalMs', type: 'number', min: 10, value: 1000 });
  const form = h(
    'form',
    { id: 'restore-form', 'aria-labelledby': 'restore-title' },
    h('h3', { id: 'restore-title' }, 'Start a restore'),
    h('div', { class: 'row' }, h('div', {}, cl, cmd), h('div', {}, bl, batch), h('div', {}, il, interval)),
    h('button', { type: 'submit' }, 'Plan and start'),
    out,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    startRestore(form, out).catch((err: unknown) => announce(String((err as Error).message), true));
  });
  return form;
}

function control(r: RestoreStatus['restore'], verb: 'pause' | 'resume'): HTMLElement {
  const [l, reason] = field(`Reason to ${verb} ${r.id}`, {
    minlength: 3,
    maxlength: 500,
    value: `${verb} from the console`,
  });
  const button = h('button', { type: 'button' }, `${verb === 'pause' ? 'Pause' : 'Resume'} ${r.id}`);
  button.addEventListener('click', () =>
    api('POST', `/admin/v1/restores/${r.id}/${verb}`, { reason: reason.value }).then(
      () => announce(`${verb} sent for ${r.id}.`),
      (err: ApiError) => announce(err.message, true),
    ),
  );
  return h('div', { class: 'row' }, h('div', {}, l, reason), button);
}

/**
 * Re-paces a running or paused restore from its next batch (`POST …/pace`): a fixed restore's
 * batch and interval, an adaptive one's ceiling.
 */
function paceControl(r: RestoreStatus['restore']): HTMLElement {
  const fixed = r.pacing.mode === 'fixed';
  const [bl, batch] = field(`Batch size for ${r.id}`, {
    type: 'number',
    min: 1,
    max: 100000,
    value: Number(r.pacing.batchSize ?? 50),
  });
  const [il, interval] = field(`Interval (ms) for ${r.id}`, {
    type: 'number',
    min: 10,
    max: 3600000,
    value: Number(r.pacing.intervalMs ?? 1000),
  });
  const [ml, maxRate] = field(`Most per second for ${r.id}`, {
    type: 'number',
    min: 1,
    value: Number(r.pacing.maxRate ?? 100),
  });
  const [rl, reason] = field(`Reason to re-pace ${r.id}`, {
    minlength: 3,
    maxlength: 500,
    value: 'pace from the console',
  });
  const button = h('button', { type: 'button' }, `Re-pace ${r.id}`);
  button.addEventListener('click', () => {
    const pacing = fixed
      ? { mode: 'fixed', batchSize: Number(batch.value), intervalMs: Number(interval.value) }
      : { mode: 'adaptive', maxRate: Number(maxRate.value) };
    api('POST', `/admin/v1/restores/${r.id}/pace`, { pacing, reason: reason.value }).then(
      () => announce(`New pace sent for ${r.id}.`),
      (err: ApiError) => announce(err.message, true),
    );
  });
  const inputs = fixed ? [h('div', {}, bl, batch), h('div', {}, il, interval)] : [h('div', {}, ml, maxRate)];
  return h('div', { class: 'row' }, ...inputs, h('div', {}, rl, reason), button);
}

export function restoreCard(s: RestoreStatus): HTMLElement {
  const r = s.restore;
  const settled = s.counts.restored + s.counts.expired + s.counts.refused;
  const percent = r.total === 0 ? 100 : Math.floor((100 * settled) / r.total);
  return h(
    'article',
    {
      class: 'card',
      'data-restore': r.id,
      'data-state': r.state,
      'data-percent': percent,
      'aria-label': `Restore ${r.id}`,
    },
    h('h3', {}, `${r.id} `, h('span', { class: 'state' }, r.state)),
    h('p', {}, `From ${JSON.stringify(r.source)}, by ${r.requestedBy}; pacing ${JSON.stringify(r.pacing)}`),
    h(
      'label',
      { for: `r-${r.id}` },
      `Settled ${settled} of ${r.total} (${percent}%): restored ${s.counts.restored}, `,
      `ticketed ${s.counts.ticketed}, pending ${s.counts.pending}, expired ${s.counts.expired}, refused ${s.counts.refused}`,
    ),
    h('progress', { id: `r-${r.id}`, max: Math.max(1, r.total), value: settled }),
    r.pauseReason ? h('p', {}, `Paused: ${r.pauseReason}`) : null,
    s.etaSeconds !== null ? h('p', {}, `About ${s.etaSeconds} s to release the rest.`) : null,
    can('restores.control') && r.state === 'running' ? control(r, 'pause') : null,
    can('restores.control') && r.state === 'paused' ? control(r, 'resume') : null,
    can('restores.control') && (r.state === 'running' || r.state === 'paused') ? paceControl(r) : null,
  );
}

export async function renderRestores(list: HTMLElement): Promise<void> {
  const cards: HTMLElement[] = [];
  for (const id of state.restores) {
    const status = await api<RestoreStatus>('GET', `/admin/v1/restores/${id}`).catch(() => null);
    if (status) cards.push(restoreCard(status));
  }
  list.replaceChildren(...(cards.length ? cards : [h('p', {}, 'No restore yet.')]));
}
