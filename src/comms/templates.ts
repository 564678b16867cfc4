/**
 * The public messages about an incident, rendered from its fields. The defaults are seed 002's
 * texts (P0 announcement, all clear) and an update in the same voice; each is replaceable in
 * config (`comms.templates.*`). A `{name}` placeholder takes a field; a line whose placeholders
 * are all empty is left out, so "Root cause:" does not appear before one is known.
 */

/** The fields a template may name. */
export interface TemplateFields {
  /** The incident's title: the seed's [SYSTEM]. */
  system: string;
  severity: string;
  status: string;
  /** Comma-separated, or "all regions". */
  regions: string;
  /** ISO times; empty when not known. */
  started: string;
  resolved: string;
  /** The seed's [TIME]; empty unless an operator gave one. */
  eta: string;
  /** When the next update is due (ISO); empty once resolved. */
  nextUpdate: string;
  /** The operator's message of an update; for the all clear, the root cause. */
  message: string;
  rootCause: string;
  statusUrl: string;
}

export const templateFieldNames: readonly (keyof TemplateFields)[] = [
  'system',
  'severity',
  'status',
  'regions',
  'started',
  'resolved',
  'eta',
  'nextUpdate',
  'message',
  'rootCause',
  'statusUrl',
];

export interface Templates {
  announcement: string;
  update: string;
  allClear: string;
}

/** Seed 002's texts (its emoji restored), with placeholders for its [SYSTEM], [TIME] and [BRIEF EXPLANATION]. */
export const defaultTemplates: Templates = {
  announcement: [
    '🚨 Service Alert 🚨',
    'We are currently experiencing technical difficulties with {system}.',
    'Affected: {regions}.',
    'Our team is actively investigating and working on a fix.',
    'ETA: {eta}',
    'We apologize for the inconvenience.',
    'Next update by {nextUpdate}.',
    'Status updates: {statusUrl}',
  ].join('\n'),
  update: [
    'Update on {system}: {status}.',
    '{message}',
    'Affected: {regions}.',
    'ETA: {eta}',
    'Next update by {nextUpdate}.',
    'Status updates: {statusUrl}',
  ].join('\n'),
  allClear: [
    '✅ All Clear',
    'The issue with {system} has been resolved.',
    'Root cause: {rootCause}',
    'Thank you for your patience!',
  ].join('\n'),
};

const placeholder = /\{([a-zA-Z]+)\}/g;

/** The placeholders of `template` that are not fields: a config check names them. */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(templateFieldNames);
  return [...template.matchAll(placeholder)].map((m) => m[1] as string).filter((n) => !known.has(n));
}

/** Fills the placeholders; drops a line whose placeholders are all empty. */
export function render(template: string, fields: TemplateFields): string {
  const values = fields as unknown as Record<string, string>;
  const lines: string[] = [];
  for (const line of template.split('\n')) {
    const names = [...line.matchAll(placeholder)].map((m) => m[1] as string);
    if (names.length > 0 && names.every((n) => (values[n] ?? '') === '')) continue;
    lines.push(line.replace(placeholder, (_, n: string) => values[n] ?? ''));
  }
  return lines.join('\n').trim();
}
