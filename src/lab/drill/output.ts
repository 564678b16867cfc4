/**
 * Where a drill's report goes: the report renderer (src/lab/report/) writes result.json (the
 * whole DrillResult), report.md, chart.svg and a post-mortem-<id>.md per incident into the directory.
 */
import { writeReport } from '../report/index.ts';
import type { DrillResult } from './result.ts';

/** Writes the report into `dir` (created if missing); returns the files written. */
export async function writeDrillReport(result: DrillResult, dir: string): Promise<string[]> {
  const files = await writeReport(result, dir);
  return [files.json, files.markdown, files.svg, ...files.postmortems];
}
