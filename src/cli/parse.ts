import { CliError } from './errors.ts';

/** A time given on the command line: epoch milliseconds or an ISO time. */
export function parseWhen(value: string, flag: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n))
    throw new CliError('VALIDATION_FAILED', `${flag} is neither an ISO time nor epoch ms`);
  return n;
}

/** `<seq>:<hash>`, a chain head kept earlier. */
export function parseCheckpoint(value: string): { seq: number; hash: string } {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(value);
  if (!m) throw new CliError('VALIDATION_FAILED', '--checkpoint is <seq>:<64 hex hash>');
  return { seq: Number(m[1]), hash: m[2] as string };
}

/** "5s", "500ms", "2m" or plain milliseconds; `flag` names the option in the error. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m)
    throw new CliError('VALIDATION_FAILED', `${flag} takes a duration like 5s, 500ms or 1m, not "${text}"`);
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

/** The fields that are set, as a plain object: what the request body will carry. */
export function compact<T extends Record<string, unknown>>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
