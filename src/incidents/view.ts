/** An incident as the API shows it: its record, the roles held now, its durations and phase deadlines. */
import { durations } from './lifecycle.ts';
import type { Incident, IncidentRole } from './records.ts';
import { noteTime } from './timeline.ts';

export function incidentView(i: Incident, now: number) {
  const current: Partial<Record<IncidentRole, string>> = {};
  for (const r of i.roles) current[r.role] = r.operator;
  return {
    ...i,
    currentRoles: current,
    ...durations(i),
    phases: i.phases.map((p) => {
      const dueAt = p.endMinute === null ? null : i.detectedAt + p.endMinute * 60_000;
      const done = p.items.every((x) => x.done);
      return { ...p, dueAt, done, overdue: !done && dueAt !== null && now > dueAt };
    }),
    notes: i.notes.map((n) => ({ ...n, effectiveAt: noteTime(n) })),
  };
}
