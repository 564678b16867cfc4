/**
 * The incident's status machine and the seed's response phases (seed 002: detection and triage,
 * containment, investigation, resolution, recovery and communication). Pure.
 */
import type { Incident, IncidentStatus, Phase } from './records.ts';

/**
 * Where each status may go. A running incident moves freely between the three running statuses
 * and to `resolved`; a resolved one may be reopened (it recurred) or go to its post-incident
 * review, which ends `closed`. Nothing leaves `closed`.
 */
export const transitions: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  investigating: ['identified', 'monitoring', 'resolved'],
  identified: ['investigating', 'monitoring', 'resolved'],
  monitoring: ['investigating', 'identified', 'resolved'],
  resolved: ['investigating', 'post-incident'],
  'post-incident': ['closed'],
  closed: [],
};

export function mayMove(from: IncidentStatus, to: IncidentStatus): boolean {
  return transitions[from].includes(to);
}

/**
 * The incident after moving to `to` at `at`: the first `monitoring` or `resolved` marks it
 * mitigated, `resolved` closes its window, reopening opens it again (keeping when it was first
 * mitigated), `closed` stamps the end of the review. The caller has checked {@link mayMove}.
 */
export function moved(incident: Incident, to: IncidentStatus, at: number): Incident {
  const next: Incident = { ...incident, status: to, updatedAt: at };
  if ((to === 'monitoring' || to === 'resolved') && next.mitigatedAt === null) next.mitigatedAt = at;
  if (to === 'resolved') next.resolvedAt = at;
  if (to === 'investigating' || to === 'identified' || to === 'monitoring') next.resolvedAt = null;
  if (to === 'closed') next.closedAt = at;
  return next;
}

/** Time to detect and to mitigate, both from the onset; null until reached. */
export function durations(i: Pick<Incident, 'startedAt' | 'detectedAt' | 'mitigatedAt' | 'resolvedAt'>) {
  return {
    timeToDetectMs: i.detectedAt - i.startedAt,
    timeToMitigateMs: i.mitigatedAt === null ? null : i.mitigatedAt - i.startedAt,
    timeToResolveMs: i.resolvedAt === null ? null : i.resolvedAt - i.startedAt,
  };
}

const item = (key: string, text: string) => ({ key, text, done: false, doneBy: null, doneAt: null });

/** The seed's five phases, each a checklist with its time box in minutes after detection. */
export function seedPhases(): Phase[] {
  return [
    {
      key: 'detection',
      title: 'Detection and triage',
      startMinute: 0,
      endMinute: 5,
      items: [
        item('verify', 'Verify the issue is real'),
        item('severity', 'Determine severity (P0-P3)'),
        item('systems', 'Identify affected systems'),
        item('declare', 'Declare the incident'),
      ],
    },
    {
      key: 'containment',
      title: 'Containment',
      startMinute: 5,
      endMinute: 30,
      items: [
        item('maintenance', 'Enable maintenance mode if needed (flag logins.enabled)'),
        item('redirect', 'Redirect traffic to backup servers'),
        item('scale', 'Scale up resources if it is a capacity issue'),
        item(
          'isolate',
          'Security: isolate affected systems, rotate compromised credentials, block malicious IPs',
        ),
        item('snapshot', 'Take database snapshots before changes'),
      ],
    },
    {
      key: 'investigation',
      title: 'Investigation',
      startMinute: 30,
      endMinute: 240,
      items: [
        item('evidence', 'Gather evidence (logs, audit, database changes of the window)'),
        item('timeline', 'Review the timeline of events'),
        item('trigger', 'Identify the trigger'),
        item('scope', 'Assess the impact scope'),
      ],
    },
    {
      key: 'resolution',
      title: 'Resolution',
      startMinute: 60,
      endMinute: 480,
      items: [
        item('fix', 'Apply the fix (hotfix, rollback, or restore from backup)'),
        item('smoke', 'Run smoke tests'),
        item('monitor', 'Monitor error rates for one hour'),
        item('confirm', 'Confirm user reports are resolved'),
      ],
    },
    {
      key: 'recovery',
      title: 'Recovery and communication',
      startMinute: 480,
      endMinute: null,
      items: [
        item('normal', 'Disable maintenance mode and resume normal traffic routing'),
        item('restore', 'Restore the disrupted players (lifeline restore)'),
        item('status', 'Post a status update (Discord, Twitter, in-game)'),
        item('compensation', 'Compensate players if needed'),
        item('postmortem', 'Schedule the post-mortem within 48 hours'),
        item('lessons', 'Document lessons learned'),
      ],
    },
  ];
}
