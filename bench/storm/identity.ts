/**
 * The simulated identity upstream for bench:storm, in its own process: `slots` verifications at
 * once, `serviceMs` each, so its capacity is C = slots × 1000 / serviceMs per second. Requests
 * beyond the slots wait in an unbounded FIFO, and the upstream finishes the work even for callers
 * that gave up: the retry storm of seed 001, where goodput collapses while the CPU stays busy.
 * GET /stats returns per-second completions and the peak concurrency (in service plus queued).
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { slots: { type: 'string', default: '10' }, 'service-ms': { type: 'string', default: '10' } },
});
const slots = Number(values.slots);
const serviceMs = Number(values['service-ms']);
let busy = 0;
let waiting = 0;
let peak = 0;
let peakInService = 0;
let done = 0;
let abandoned = 0;
const queue: (() => void)[] = [];
const seconds: { done: number; abandoned: number }[] = [];
setInterval(() => {
  seconds.push({ done, abandoned });
  done = 0;
  abandoned = 0;
}, 1000).unref();

function serve(finish: () => void): void {
  busy++;
  peakInService = Math.max(peakInService, busy);
  setTimeout(() => {
    busy--;
    finish();
    const next = queue.shift();
    if (next) {
      waiting--;
      serve(next);
    }
  }, serviceMs);
}

const server = createServer((req, res) => {
  if (req.url === '/stats') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ seconds: seconds.splice(0), peak, peakInService }));
    peak = 0;
    peakInService = 0;
    return;
  }
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    peak = Math.max(peak, busy + waiting + 1);
    const finish = () => {
      if (res.destroyed || req.socket.destroyed) {
        abandoned++;
        return;
      }
      done++;
      const { playerId } = JSON.parse(body) as { playerId: string };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ playerId }));
    };
    if (busy < slots) serve(finish);
    else {
      waiting++;
      queue.push(finish);
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`),
);
setTimeout(() => process.exit(0), 600_000).unref();
process.on('disconnect', () => process.exit(0));
