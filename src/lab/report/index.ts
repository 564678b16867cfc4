/**
 * The drill report (issue 14, item 5): a DrillResult written as result.json (everything, exact),
 * report.md (the verdict, objectives, findings, incidents, timeline), chart.svg (Vega-Lite,
 * rendered in Node) and one post-mortem-<id>.md per incident Lifeline declared. `lifeline drill run --report DIR` calls writeReport.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrillResult } from '../drill/result.ts';
import { renderChart } from './chart.ts';
import { postmortemFile, renderMarkdown } from './markdown.ts';

export { chartSpec, renderChart } from './chart.ts';
export { renderMarkdown } from './markdown.ts';

export interface ReportFiles {
  json: string;
  markdown: string;
  svg: string;
  /** One Markdown post-mortem per incident Lifeline declared during the run. */
  postmortems: string[];
}

export async function writeReport(result: DrillResult, dir: string): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files = {
    json: join(dir, 'result.json'),
    markdown: join(dir, 'report.md'),
    svg: join(dir, 'chart.svg'),
  };
  const svg = await renderChart(result);
  await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(files.svg, svg);
  await writeFile(files.markdown, renderMarkdown(result, 'chart.svg'));
  const postmortems: string[] = [];
  for (const i of result.incidents ?? []) {
    const file = join(dir, postmortemFile(i));
    await writeFile(file, i.postmortem);
    postmortems.push(file);
  }
  return { ...files, postmortems };
}
