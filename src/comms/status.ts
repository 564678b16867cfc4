/**
 * The public status page's model (issue 16, item 5), shaped like Statuspage's `summary.json`.
 * Component states follow Lifeline's own evidence: this node's readiness, its upstream verdicts,
 * the open signals and the running incidents that were told to the public; the worst reason wins.
 * docs/INCIDENTS.md (Status page) has the mapping. The page is public: it carries no operator
 * name, no id but incident ids, no signal evidence and no automatic incident's internal title.
 */
import type { IncidentHeader } from '../store/index.ts';
import type { Signal } from '../signals/records.ts';
import type { PublicUpdate } from './records.ts';

/** Statuspage's component states, best first. */
export const componentStates = [
  'operational',
  'under_maintenance',
  'degraded_performance',
  'partial_outage',
  'major_outage',
] as const;
export type ComponentState = (typeof componentStates)[number];

export interface StatusInputs {
  pageName: string;
  pageUrl: string;
  now: number;
  /** This node serves (store and live state in reach, not draining). */
  ready: boolean;
  /** Upstream verdicts and probe results by name (`identity`, `http:entitlements`): `ok` or not. */
  dependencies: Readonly<Record<string, string>>;
  regions: readonly string[];
  openSignals: readonly Signal[];
  /** Incidents told to the public: running ones and those resolved in the history window. */
  incidents: readonly IncidentHeader[];
  updates: readonly PublicUpdate[];
}

const worse = (a: ComponentState, b: ComponentState): ComponentState =>
  componentStates.indexOf(a) >= componentStates.indexOf(b) ? a : b;

/** The public name: an automatic declaration's title is internal (it quotes figures). */
export function publicTitle(i: Pick<IncidentHeader, 'title' | 'declaredBy'>): string {
  return i.declaredBy.startsWith('auto:') ? 'Service disruption' : i.title;
}

function componentsOf(regions: readonly string[]): { id: string; name: string }[] {
  return [
    { id: 'login', name: 'Login' },
    { id: 'entitlements', name: 'Entitlements' },
    ...regions.map((r) => ({ id: `sessions-${r}`, name: `Game sessions (${r})` })),
  ];
}

/** Which components a signal speaks of. */
function signalTargets(s: Signal, regions: readonly string[]): string[] {
  const dependency = s.dimensions.dependency ?? '';
  if (s.detector === 'login-failures' || dependency === 'identity') return ['login'];
  if (dependency === 'entitlements') return ['entitlements'];
  if (s.detector === 'players-online') {
    const region = s.dimensions.region;
    return region !== undefined && regions.includes(region)
      ? [`sessions-${region}`]
      : regions.map((r) => `sessions-${r}`);
  }
  return [];
}

const incidentState = (i: IncidentHeader): ComponentState =>
  i.status === 'monitoring'
    ? 'degraded_performance'
    : i.severity === 'P0' || i.severity === 'P1'
      ? 'major_outage'
      : i.severity === 'P2'
        ? 'partial_outage'
        : 'degraded_performance';

/** Each component's state and why (the reasons are for tests and the operator, not the page). */
export function componentStatesOf(input: StatusInputs): Map<string, ComponentState> {
  const states = new Map(componentsOf(input.regions).map((c) => [c.id, 'operational' as ComponentState]));
  const raise = (id: string, s: ComponentState) => {
    const was = states.get(id);
    if (was !== undefined) states.set(id, worse(was, s));
  };
  if (!input.ready) for (const id of states.keys()) raise(id, 'major_outage');
  for (const [name, verdict] of Object.entries(input.dependencies)) {
    if (verdict === 'ok') continue;
    if (name.endsWith('identity')) raise('login', 'partial_outage');
    if (name.endsWith('entitlements')) raise('entitlements', 'partial_outage');
  }
  for (const s of input.openSignals) {
    for (const id of signalTargets(s, input.regions))
      raise(id, s.severity === 'P1' ? 'partial_outage' : 'degraded_performance');
  }
  for (const i of input.incidents) {
    if (!['investigating', 'identified', 'monitoring'].includes(i.status)) continue;
    const regions = input.updates.findLast((u) => u.incidentId === i.id)?.regions ?? [];
    const where = regions.length > 0 ? regions : input.regions;
    for (const r of where) raise(`sessions-${r}`, incidentState(i));
    if (i.signals.some((s) => s.detector === 'login-failures')) raise('login', incidentState(i));
  }
  return states;
}

const indicators = [
  ['operational', 'none', 'All Systems Operational'],
  ['under_maintenance', 'maintenance', 'Service Under Maintenance'],
  ['degraded_performance', 'minor', 'Minor Service Outage'],
  ['partial_outage', 'minor', 'Partial System Outage'],
  ['major_outage', 'major', 'Major System Outage'],
] as const;

/** The worst of the states (operational when there are none). */
export function worstState(states: Iterable<ComponentState>): ComponentState {
  let w: ComponentState = 'operational';
  for (const s of states) w = worse(w, s);
  return w;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const publicStatus = (s: string): string =>
  s === 'post-incident' ? 'postmortem' : s === 'closed' ? 'resolved' : s;
const impactOf: Record<string, string> = { P0: 'critical', P1: 'major', P2: 'minor', P3: 'minor' };

/** `summary.json`: page, components, incidents with their updates (newest first, as Statuspage), status. */
export function statusSummary(input: StatusInputs): Record<string, unknown> {
  const states = componentStatesOf(input);
  const updated = iso(input.now);
  const components = componentsOf(input.regions).map((c, position) => ({
    id: c.id,
    name: c.name,
    status: states.get(c.id) ?? 'operational',
    position,
    description: null,
    updated_at: updated,
    group: false,
    group_id: null,
    only_show_if_degraded: false,
    showcase: true,
  }));
  const worst = worstState(states.values());
  const [, indicator, description] = indicators.find(([s]) => s === worst) ?? indicators[0];
  const incidents = input.incidents.map((i) => {
    const updates = input.updates.filter((u) => u.incidentId === i.id);
    return {
      id: i.id,
      name: publicTitle(i),
      status: publicStatus(i.status),
      impact: impactOf[i.severity] ?? 'minor',
      created_at: iso(i.declaredAt),
      started_at: iso(i.startedAt),
      monitoring_at: iso(i.mitigatedAt),
      resolved_at: iso(i.resolvedAt),
      updated_at: iso(updates.at(-1)?.at ?? i.declaredAt),
      shortlink: `${input.pageUrl}#incident-${i.id}`,
      incident_updates: updates
        .map((u, n) => ({
          id: `${i.id}.${n + 1}`,
          status: publicStatus(u.status),
          body: u.body,
          created_at: iso(u.at),
          display_at: iso(u.at),
          affected_regions: u.regions,
        }))
        .reverse(),
    };
  });
  return {
    page: {
      id: 'lifeline',
      name: input.pageName,
      url: input.pageUrl,
      time_zone: 'Etc/UTC',
      updated_at: updated,
    },
    components,
    incidents,
    scheduled_maintenances: [],
    status: { indicator, description },
  };
}
