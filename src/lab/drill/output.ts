/**
 * Where a drill's report goes. The report renderer (JSON, Markdown and an SVG chart, in
 * src/lab/report/) is being built beside the runner; until it is wired here, this writes the
 * DrillResult as `result.json`. The one function to swap for `writeReport(result, dir)`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DrillResult } from './result.ts';

/** Writes the report into `dir` (created if missing); returns the files written. */
export async function writeDrillReport(result: DrillResult, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'result.json');
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return [file];
}
