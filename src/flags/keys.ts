/** The flags Lifeline knows, their defaults and the rules their values must keep. */
import { LifelineError } from '../errors/index.ts';

/** Every flag Lifeline knows, with its type and the value it has until someone sets it. */
export const flagDefaults = {
  /** Off: every kick, single or bulk, is refused with KICKS_DISABLED. */
  'kicks.enabled': true,
  /** Off: POST /v1/login answers 503 with Retry-After and the maintenance message; sessions continue. */
  'logins.enabled': true,
  /** Shown to players turned away while logins are closed. */
  'maintenance.message': 'Logins are paused for maintenance. You stay connected if you are in a game.',
  /**
   * On while an outage is declared: a socket that goes silent then ends its session with a
   * disruption record, so the player comes back through a paced restore instead of a stampede.
   */
  'outage.declared': false,
  /** Seconds a client turned away should wait before trying again. */
  'logins.retryAfterSeconds': 30,
} as const satisfies Record<string, boolean | string | number>;

export type FlagKey = keyof typeof flagDefaults;

/**
 * The bounds of a Retry-After taken from a flag: at least a second, so that clients are never told
 * to hammer; at most an hour, so that a typo (3600000) cannot send every player away for a month.
 */
export const retryAfterBounds = { min: 1, max: 3600 } as const;

/** C0 and C1 control characters and DEL: nothing shown to a player or written to a log carries them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const controlCharacters = /[\u0000-\u001F\u007F-\u009F]/;

/** The flag-specific rule a value breaks, or undefined when it fits. */
export function flagRule(key: FlagKey, value: boolean | string | number): string | undefined {
  if (key === 'logins.retryAfterSeconds') {
    const { min, max } = retryAfterBounds;
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
      return `${key} takes a whole number of seconds from ${min} to ${max}`;
  }
  if (key === 'maintenance.message' && controlCharacters.test(value as string))
    return `${key} must not contain control characters`;
  return undefined;
}

export function isFlagKey(key: string): key is FlagKey {
  return Object.hasOwn(flagDefaults, key);
}

/** Parses a flag value typed on a command line: true/false, a number, or text. */
export function parseFlagValue(key: string, text: string): boolean | string | number {
  if (!isFlagKey(key)) throw new LifelineError('FLAG_UNKNOWN', `No flag ${key}`);
  const fallback = flagDefaults[key];
  if (typeof fallback === 'boolean') {
    if (text !== 'true' && text !== 'false')
      throw new LifelineError('FLAG_VALUE_INVALID', `${key} takes true or false`);
    return text === 'true';
  }
  if (typeof fallback === 'number') {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new LifelineError('FLAG_VALUE_INVALID', `${key} takes a number`);
    const broken = flagRule(key, n);
    if (broken !== undefined)
      throw new LifelineError('FLAG_VALUE_INVALID', broken, { details: { field: key } });
    return n;
  }
  const broken = flagRule(key, text);
  if (broken !== undefined)
    throw new LifelineError('FLAG_VALUE_INVALID', broken, { details: { field: key } });
  return text;
}
