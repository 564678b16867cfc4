/** What the page knows: who signed in, and the command and restore ids the stream named. */
import type { Me } from './api.ts';

export const state = {
  me: null as Me | null,
  commands: [] as string[],
  restores: [] as string[],
};

export function can(permission: string): boolean {
  return state.me?.permissions.includes(permission) ?? false;
}

/** Newest first, without repeats, at most `max`. */
export function remember(list: string[], id: string, max = 20): void {
  const at = list.indexOf(id);
  if (at >= 0) list.splice(at, 1);
  list.unshift(id);
  if (list.length > max) list.length = max;
}

/** Asks for a TOTP code in a labelled field; resolves with it, or null when cancelled. */
export function askTotp(form: HTMLElement, why: string): Promise<string | null> {
  return new Promise((resolve) => {
    const id = `totp-${Math.random().toString(36).slice(2)}`;
    const box = document.createElement('div');
    box.className = 'card';
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', 'TOTP step-up');
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = `TOTP code (${why})`;
    const input = document.createElement('input');
    Object.assign(input, { id, inputMode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}' });
    input.name = 'totp';
    const ok = document.createElement('button');
    ok.type = 'button';
    ok.textContent = 'Confirm';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = 'Cancel';
    const done = (value: string | null) => {
      box.remove();
      resolve(value);
    };
    ok.addEventListener('click', () => done(input.value.trim()));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') done(input.value.trim());
      if (e.key === 'Escape') done(null);
    });
    cancel.addEventListener('click', () => done(null));
    box.append(label, input, ' ', ok, ' ', cancel);
    form.append(box);
    input.focus();
  });
}
