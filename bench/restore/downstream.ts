/**
 * A simulated game backend for bench:restore, in its own process: `slots` joins are served at
 * once, each taking `serviceMs`, so its capacity is C = slots × 1000 / serviceMs per second.
 * Past C the queue grows and latency with it, as a real backend's does. GET /health answers the
 * p99 of the last second's joins as `{"p99Ms"}`; the bench reads per-second figures from /stats.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { slots: { type: 'string', default: '8' }, 'service-ms': { type: 'string', default: '10' } },
});
const slots = Number(values.slots);
const serviceMs = Number(values['service-ms']);
let busy = 0;
const queue: (() => void)[] = [];
let window: number[] = [];
let last: number[] = [];
const seconds: { at: number; joins: number; p99: number }[] = [];

const p99 = (xs: number[]) => {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number;
};
setInterval(() => {
  last = window;
  window = [];
  seconds.push({ at: Date.now(), joins: last.length, p99: p99(last) });
}, 1000).unref();

function serve(done: () => void): void {
  busy++;
  setTimeout(() => {
    busy--;
    done();
    const next = queue.shift();
    if (next) serve(next);
  }, serviceMs);
}

const server = createServer((req, res) => {
  if (req.url === '/join') {
    const t0 = performance.now();
    const finish = () => {
      window.push(performance.now() - t0);
      res.writeHead(200).end('ok');
    };
    if (busy < slots) serve(finish);
    else queue.push(finish);
    return;
  }
  if (req.url === '/health') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ p99Ms: p99(last), queued: queue.length }));
    return;
  }
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(seconds.splice(0)));
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ port: (server.address() as { port: number }).port, capacity: (slots * 1000) / serviceMs })}\n`,
  );
});
// Bounded: the bench kills it, and it exits on its own after 10 minutes whatever happens.
setTimeout(() => process.exit(0), 600_000).unref();
process.on('disconnect', () => process.exit(0));
