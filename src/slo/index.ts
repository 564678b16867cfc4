/**
 * SLOs as code (issue 15, item 4): the indicators Lifeline measures about itself, Prometheus
 * recording rules and multi-window multi-burn-rate alerts in Sloth's shape, and a Grafana
 * dashboard. `lifeline slo rules` and `lifeline slo dashboard` write them from the `slo` config.
 */
export { type Indicator, indicators } from './catalog.ts';
export { sloDashboard } from './dashboard.ts';
export {
  EVENTS_1H,
  errorRatio,
  pageBurns,
  type SloSettings,
  sloRules,
  sloRulesYaml,
  ticketBurns,
} from './rules.ts';
