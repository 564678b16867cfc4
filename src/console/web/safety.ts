/** The kick breaker and the flags, with their switches for the roles that may use them. */
import { type ApiError, api } from './api.ts';
import { announce, field, h, when } from './dom.ts';
import { askTotp, can } from './state.ts';
import type { Breaker, Flag } from './wire.ts';

function breakerCard(b: Breaker): HTMLElement {
  const card = h(
    'article',
    { class: 'card', id: 'breaker', 'data-state': b.state, 'aria-labelledby': 'breaker-title' },
    h(
      'h3',
      { id: 'breaker-title' },
      'Kick breaker: ',
      h('span', { class: b.state === 'open' ? 'state bad' : 'state good' }, b.state),
    ),
    h(
      'p',
      {},
      `${b.usedInWindow} of ${b.cap} unapproved kicks used in the last ${b.windowSeconds} s. `,
      `Last change by ${b.changedBy} at ${when(b.changedAt)}: ${b.reason}`,
    ),
  );
  if (b.state === 'open' && can('breaker.reset')) {
    const [l, reason] = field('Reason to reset the breaker', { minlength: 3, maxlength: 500 });
    const reset = h('button', { type: 'button', class: 'danger' }, 'Reset the breaker');
    reset.addEventListener('click', async () => {
      const totp = await askTotp(card, 'reset the breaker');
      if (totp === null) return;
      await api('POST', '/admin/v1/breaker/reset', { totp, reason: reason.value }).then(
        () => announce('Breaker reset.'),
        (err: ApiError) => announce(err.message, true),
      );
    });
    card.append(l, reason, reset);
  }
  return card;
}

function flagRow(f: Flag, reason: HTMLInputElement): HTMLElement {
  const id = `flag-${f.key.replace(/\W/g, '-')}`;
  const row = h('div', { class: 'card', 'data-flag': f.key });
  if (typeof f.value === 'boolean') {
    const box = h('input', {
      id,
      type: 'checkbox',
      role: 'switch',
      disabled: !can('flags.write'),
    }) as HTMLInputElement;
    box.checked = f.value;
    box.setAttribute('aria-checked', String(f.value));
    box.addEventListener('change', () =>
      api('PUT', `/admin/v1/flags/${f.key}`, { value: box.checked, reason: reason.value }).then(
        () => announce(`${f.key} is now ${box.checked}.`),
        (err: ApiError) => {
          box.checked = !box.checked;
          announce(err.message, true);
        },
      ),
    );
    row.append(box, ' ', h('label', { for: id }, f.key));
  } else {
    row.append(h('strong', {}, f.key), `: ${JSON.stringify(f.value)}`);
  }
  row.append(
    h(
      'p',
      {},
      f.updatedBy
        ? `Set by ${f.updatedBy} at ${when(f.updatedAt)}: ${f.reason}`
        : `Default (${JSON.stringify(f.default)})`,
    ),
  );
  return row;
}

export async function renderSafety(root: HTMLElement): Promise<void> {
  const [{ breaker }, { flags }] = await Promise.all([
    api<{ breaker: Breaker }>('GET', '/admin/v1/breaker'),
    api<{ flags: Flag[] }>('GET', '/admin/v1/flags'),
  ]);
  const [rl, reason] = field('Reason recorded with a flag change (3–500 characters)', {
    id: 'flag-reason',
    minlength: 3,
    maxlength: 500,
    value: 'changed from the console',
  });
  root.replaceChildren(
    breakerCard(breaker),
    h('h3', {}, 'Flags'),
    can('flags.write')
      ? h('div', {}, rl, reason)
      : h('p', {}, 'Your role may read the flags, not change them.'),
    ...flags.map((f) => flagRow(f, reason)),
  );
}
