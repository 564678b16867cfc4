/**
 * A simulated game backend for bench:restore, in its own process: `slots` joins are served at
 * once, each taking `serviceMs`, so its capacity is C = slots × 1000 / serviceMs per second.
 * Past C the queue grows and latency with it, as a real backend's does. GET /health answers a
 * p99 as `{"p99Ms"}`: with `--health-window sliding` (the default) of the joins answered in the
 * last 1,000 ms, as rolling metrics are; with `bucket`, of the last whole clock second, which
 * trails by up to two seconds. The bench reads per-second figures from /stats.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    slots: { type: 'string', default: '8' },
    'service-ms': { type: 'string', default: '10' },
    'health-window': { type: 'string', default: 'sliding' },
  },
});
const sliding = values['health-window'] === 'sliding';
const slots = Number(values.slots);
const serviceMs = Number(values['service-ms']);
/** Latencies of the joins answered in this clock second. */
let window: number[] = [];
/** Those of the last whole clock second. */
let lastSecond: number[] = [];
/** Joins answered in the last 1,000 ms, as [answered at, latency], oldest first. */
let recent: [number, number][] = [];
const seconds: { at: number; joins: number; p99: number }[] = [];

const p99 = (xs: number[]) => {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number;
};
setInterval(() => {
  seconds.push({ at: Date.now(), joins: window.length, p99: p99(window) });
  lastSecond = window;
  window = [];
}, 1000).unref();

// Each slot keeps its own clock: a join starts when it arrives or when its slot's previous join
// ends, whichever is later, and ends serviceMs after. A late timer delays that one answer but not
// the slot's next join, so the capacity is exactly C, as the bench says, however busy the machine.
const freeAt: number[] = Array.from({ length: slots }, () => 0);

function sinceOneSecond(): number[] {
  const from = performance.now() - 1000;
  let i = 0;
  while (i < recent.length && (recent[i] as [number, number])[0] < from) i++;
  recent = recent.slice(i);
  return recent.map(([, ms]) => ms);
}

function serve(finish: () => void): void {
  const now = performance.now();
  let slot = 0;
  for (let i = 1; i < slots; i++) if ((freeAt[i] as number) < (freeAt[slot] as number)) slot = i;
  const end = Math.max(now, freeAt[slot] as number) + serviceMs;
  freeAt[slot] = end;
  setTimeout(finish, end - now);
}

const server = createServer((req, res) => {
  if (req.url === '/join') {
    const t0 = performance.now();
    const finish = () => {
      const now = performance.now();
      window.push(now - t0);
      if (sliding) recent.push([now, now - t0]);
      res.writeHead(200).end('ok');
    };
    serve(finish);
    return;
  }
  if (req.url === '/health') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ p99Ms: p99(sliding ? sinceOneSecond() : lastSecond) }));
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
