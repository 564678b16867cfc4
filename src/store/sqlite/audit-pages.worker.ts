/**
 * An audit verify worker: opens the SQLite file read-only and answers each range with the page
 * checked (hashes recomputed, links inside the range followed). See audit-pages.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkRange, openReader, type RangeAnswer, type RangeJob } from './audit-pages.ts';

const port = parentPort;
if (!port) throw new Error('audit-pages.worker.ts runs as a worker thread');
const reader = openReader((workerData as { path: string }).path);

port.on('message', (job: RangeJob) => {
  let answer: RangeAnswer;
  try {
    answer = { id: job.id, page: checkRange(reader, job) };
  } catch (err) {
    // Answered, not thrown: the main thread checks this range itself and keeps the worker.
    answer = { id: job.id, error: String(err) };
  }
  port.postMessage(answer);
});
