/** Commands: request a kick (plan first), and each known command's plan, policy, waves and approvals. */
import { type ApiError, api } from './api.ts';
import { announce, field, h, table, when } from './dom.ts';
import { askTotp, can, remember, state } from './state.ts';
import type { Command, Plan, Policy } from './wire.ts';

function selectorOf(form: HTMLFormElement): Record<string, unknown> {
  const data = new FormData(form);
  const selector: Record<string, unknown> = {};
  for (const key of ['region', 'shard', 'playerId']) {
    const v = String(data.get(key) ?? '').trim();
    if (v !== '') selector[key] = v;
  }
  if (data.get('all') === 'on') return { all: true };
  return selector;
}

async function requestKick(form: HTMLFormElement, out: HTMLElement): Promise<void> {
  const selector = selectorOf(form);
  const reason = String(new FormData(form).get('reason') ?? '');
  const plan = await api<{ plan: Plan; policy: Policy }>('POST', '/admin/v1/commands', {
    action: 'kick',
    selector,
    reason,
    dryRun: true,
  });
  out.replaceChildren(
    h(
      'p',
      {},
      `Plan: ${plan.plan.count} sessions of ${plan.plan.online} online; tier ${plan.policy.tier}, `,
      `${plan.policy.approvals} approval(s), TOTP ${plan.policy.totp ? 'required' : 'not required'}.`,
    ),
  );
  if (plan.plan.count === 0) return announce('Nothing matches that selector.');
  if (plan.policy.role === 'admin' && !can('commands.kick.bulk'))
    return announce(`A ${plan.policy.tier} kick needs an admin: ask one.`, true);
  const totp = plan.policy.totp ? await askTotp(out, 'step-up for this kick') : undefined;
  if (totp === null) return announce('Kick not requested.');
  const res = await api<{ command: Command }>('POST', '/admin/v1/commands', {
    action: 'kick',
    selector,
    reason,
    ...(totp ? { totp } : {}),
  });
  remember(state.commands, res.command.id);
  announce(`Command ${res.command.id} is ${res.command.state}.`);
  document.dispatchEvent(
    new CustomEvent('lifeline:changed', { detail: { kind: 'command', id: res.command.id } }),
  );
}

export function kickForm(): HTMLElement {
  const out = h('div', { 'aria-live': 'polite' });
  const [rl, region] = field('Region', { name: 'region', autocomplete: 'off' });
  const [sl, shard] = field('Shard', { name: 'shard', autocomplete: 'off' });
  const [pl, player] = field('Player id', { name: 'playerId', autocomplete: 'off' });
  const [al, all] = field('Every live session', { name: 'all', type: 'checkbox' });
  const [reasonLabel, reason] = field('Reason (3–500 characters, shown to players)', {
    name: 'reason',
    required: true,
    minlength: 3,
    maxlength: 500,
  });
  const form = h(
    'form',
    { id: 'kick-form', 'aria-labelledby': 'kick-title' },
    h('h3', { id: 'kick-title' }, 'Request a kick'),
    h(
      'div',
      { class: 'row' },
      h('div', {}, rl, region),
      h('div', {}, sl, shard),
      h('div', {}, pl, player),
      h('div', {}, al, all),
    ),
    reasonLabel,
    reason,
    h('br'),
    h('button', { type: 'submit' }, 'Plan and request'),
    out,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    requestKick(form, out).catch((err: unknown) => announce(String((err as Error).message), true));
  });
  return form;
}

function actions(c: Command): HTMLElement {
  const box = h('div', { class: 'row' });
  const mine = c.requestedBy === state.me?.operator.name;
  const needed = c.policy.role === 'admin' ? 'commands.kick.bulk' : 'operators.manage';
  if (c.state === 'awaiting-approval' && !mine && can(needed)) {
    const approve = h('button', { type: 'button' }, `Approve ${c.id}`);
    approve.addEventListener('click', async () => {
      const totp = await askTotp(box, `approve ${c.id}`);
      if (totp === null) return;
      await api('POST', `/admin/v1/commands/${c.id}/approve`, { totp }).then(
        () => announce(`Approved ${c.id}.`),
        (err: ApiError) => announce(err.message, true),
      );
    });
    box.append(approve);
  }
  if ((c.state === 'awaiting-approval' || c.state === 'running') && can('commands.halt')) {
    const [l, reason] = field(`Halt reason for ${c.id}`, { minlength: 3, maxlength: 500 });
    const halt = h('button', { type: 'button', class: 'danger' }, `Halt ${c.id}`);
    halt.addEventListener('click', () =>
      api('POST', `/admin/v1/commands/${c.id}/halt`, { reason: reason.value }).then(
        () => announce(`Halted ${c.id}.`),
        (err: ApiError) => announce(err.message, true),
      ),
    );
    box.append(h('div', {}, l, reason), halt);
  }
  return box;
}

export function commandCard(c: Command): HTMLElement {
  const total = Math.max(1, c.plan.count);
  return h(
    'article',
    { class: 'card', 'data-command': c.id, 'data-state': c.state, 'aria-label': `Command ${c.id}` },
    h('h3', {}, `${c.id} `, h('span', { class: 'state' }, c.state)),
    h(
      'p',
      {},
      `Kick ${JSON.stringify(c.selector)} — “${c.reason}”, by ${c.requestedBy} at ${when(c.requestedAt)}`,
    ),
    h(
      'p',
      {},
      `Policy: tier ${c.policy.tier}, cap ${c.policy.cap}, canary ${c.policy.canary}, hold ${c.policy.holdMs} ms, `,
      `${c.policy.approvals} approval(s) needed; approved by ${c.approvals.map((a) => a.by).join(', ') || 'nobody yet'}`,
    ),
    h(
      'label',
      { for: `p-${c.id}` },
      `Waves: ${c.progress.waves}; ended ${c.progress.ended} of ${c.plan.count}`,
    ),
    h('progress', { id: `p-${c.id}`, max: total, value: c.progress.ended }),
    c.haltReason ? h('p', { class: 'bad' }, `Halted: ${c.haltReason}`) : null,
    actions(c),
  );
}

export async function renderCommands(list: HTMLElement): Promise<void> {
  const cards: HTMLElement[] = [];
  const pending: Command[] = [];
  for (const id of state.commands) {
    const { command } = await api<{ command: Command | null }>('GET', `/admin/v1/commands/${id}`).catch(
      () => ({
        command: null,
      }),
    );
    if (command?.action !== 'kick') continue;
    if (command.state === 'awaiting-approval') pending.push(command);
    cards.push(commandCard(command));
  }
  list.replaceChildren(
    h('h3', {}, `Pending approvals (${pending.length})`),
    pending.length
      ? table(
          'Waiting for a second operator',
          ['command', 'requested by', 'sessions', 'expires'],
          pending.map((c) => [c.id, c.requestedBy, c.plan.count, when(c.expiresAt)]),
        )
      : h('p', {}, 'None.'),
    h('h3', {}, 'Recent commands'),
    ...(cards.length ? cards : [h('p', {}, 'No command yet.')]),
  );
}
