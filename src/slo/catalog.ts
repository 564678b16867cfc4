/**
 * The service level indicators Lifeline measures about itself, as PromQL over its own metrics
 * (src/metrics). Each says what a bad event is and what the events are, in the words an on-call
 * engineer reads on a page; what the player chose (a wrong password, logging out) or an operator
 * chose (closing logins) is not counted against the service.
 */

export interface Indicator {
  /** The SLO's name, a label on every rule: `login-success`. */
  name: string;
  /** The config key holding its target under `slo`. */
  key: 'loginSuccess' | 'sessionContinuity' | 'kickRate' | 'rejoinSuccess';
  description: string;
  /** Rate of bad events and of all events over a `[window]` placeholder, e.g. `{{window}}`. */
  bad: string;
  total: string;
}

const rate = (metric: string, selector: string) => `sum(rate(${metric}{${selector}}[{{window}}]))`;

export const indicators: readonly Indicator[] = [
  {
    name: 'login-success',
    key: 'loginSuccess',
    description:
      'Logins answered with a session, of those the service could have answered (an identity or entitlement outage counts; a refused credential, a ban or logins closed by an operator do not)',
    bad: rate('lifeline_logins_total', 'outcome="unavailable"'),
    total: rate('lifeline_logins_total', 'outcome=~"ok|unavailable"'),
  },
  {
    name: 'session-continuity',
    key: 'sessionContinuity',
    description:
      'Sessions started that were not dropped by the service (a node lost under them), seed 000 session-drop rate',
    bad: rate('lifeline_sessions_ended_total', 'cause="node-loss"'),
    total: rate('lifeline_logins_total', 'outcome="ok"'),
  },
  {
    name: 'kick-rate',
    key: 'kickRate',
    description:
      'Sessions started that were not ended by a kick (seed 000: a runaway kick burns this budget in minutes)',
    bad: rate('lifeline_kicks_total', ''),
    total: rate('lifeline_logins_total', 'outcome="ok"'),
  },
  {
    name: 'rejoin-success',
    key: 'rejoinSuccess',
    description:
      'Rejoins after a disruption that got the player back (a bad or spent resume token is the client’s, not counted)',
    bad: rate('lifeline_rejoins_total', 'outcome="refused"'),
    total: rate('lifeline_rejoins_total', 'outcome=~"restored|refused"'),
  },
];

export const at = (expr: string, window: string) => expr.replaceAll('{{window}}', window);
