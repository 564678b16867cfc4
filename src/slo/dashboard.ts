/**
 * A Grafana dashboard for Lifeline's SLOs, over the recording rules `lifeline slo rules` writes:
 * per SLO, the error ratio against its objective, the burn rate over the page windows, and the
 * error budget left over the SLO period.
 */
import { indicators } from './catalog.ts';
import { errorRatio, type SloSettings } from './rules.ts';

interface Panel {
  id: number;
  title: string;
  type: 'timeseries' | 'stat';
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets: { expr: string; legendFormat: string; refId: string }[];
  fieldConfig: { defaults: { unit: string } };
}

function panels(s: SloSettings, periodDays: number): Panel[] {
  let id = 0;
  return indicators.flatMap((i, row) => {
    const sel = `{slo="${i.name}"}`;
    const budget = Number((1 - s[i.key]).toPrecision(12));
    const y = row * 8;
    const panel = (
      title: string,
      type: Panel['type'],
      x: number,
      w: number,
      unit: string,
      targets: [string, string][],
    ) => ({
      id: ++id,
      title: `${i.name}: ${title}`,
      type,
      description: i.description,
      gridPos: { h: 8, w, x, y },
      targets: targets.map(([expr, legendFormat], k) => ({
        expr,
        legendFormat,
        refId: String.fromCharCode(65 + k),
      })),
      fieldConfig: { defaults: { unit } },
    });
    return [
      panel('error ratio', 'timeseries', 0, 10, 'percentunit', [
        [`${errorRatio('5m')}${sel}`, '5m'],
        [`${errorRatio('1h')}${sel}`, '1h'],
        [`vector(${budget})`, 'budget (1 − objective)'],
      ]),
      panel('burn rate', 'timeseries', 10, 8, 'none', [
        [`${errorRatio('1h')}${sel} / ${budget}`, '1h'],
        [`${errorRatio('6h')}${sel} / ${budget}`, '6h'],
        ['vector(14.4)', 'page (14.4×)'],
      ]),
      panel(`budget left over ${periodDays} d`, 'stat', 18, 6, 'percentunit', [
        [`1 - (avg_over_time(${errorRatio('1h')}${sel}[${periodDays}d]) / ${budget})`, 'left'],
      ]),
    ] as Panel[];
  });
}

export function sloDashboard(s: SloSettings, periodDays = 30): Record<string, unknown> {
  return {
    title: 'Lifeline SLOs',
    uid: 'lifeline-slos',
    tags: ['lifeline', 'slo'],
    timezone: 'utc',
    schemaVersion: 39,
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    panels: panels(s, periodDays),
  };
}
