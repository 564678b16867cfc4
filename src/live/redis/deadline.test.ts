import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { test } from 'node:test';
import { Deadline } from './deadline.ts';

test('a call Redis never answers fails once a PING goes unanswered too', async () => {
  let pings = 0;
  const deadline = new Deadline(20, () => {
    pings++;
    return new Promise(() => {});
  });
  await assert.rejects(deadline.run(new Promise(() => {})), /within 20 ms/);
  assert.equal(pings, 1, 'one PING decided it');
  deadline.stop();
});

test('a slow call is left alone while Redis answers PINGs', async () => {
  const { promise: work, resolve } = Promise.withResolvers<string>();
  let pings = 0;
  const deadline = new Deadline(20, async () => {
    // The call finishes only after Redis has been asked, and has answered, three times.
    if (++pings === 3) resolve('done');
  });
  assert.equal(await deadline.run(work), 'done');
  deadline.stop();
});

test('what the work rejects with is what the caller gets', async () => {
  const deadline = new Deadline(1_000, async () => {});
  await assert.rejects(deadline.run(Promise.reject(new Error('NOSCRIPT'))), /NOSCRIPT/);
  deadline.stop();
});

test('a main thread busy past the deadline does not fail calls whose answers arrived meanwhile', async (t) => {
  // Redis stands in as an echo server on its own thread; it raises `answered` once its reply is
  // on the socket. The main thread waits for that, then stays busy past the deadline, so the
  // sweep that comes due runs before the event loop has read the reply.
  const answered = new Int32Array(new SharedArrayBuffer(4));
  const echo = new Worker(
    `const net = require('node:net');
     const { parentPort, workerData } = require('node:worker_threads');
     const server = net.createServer((s) => s.on('data', (b) => s.write(b, () => {
       Atomics.store(workerData, 0, 1);
       Atomics.notify(workerData, 0);
     })));
     server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`,
    { eval: true, workerData: answered },
  );
  t.after(() => echo.terminate());
  const [port] = (await once(echo, 'message')) as [number];
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  t.after(() => socket.destroy());
  let pings = 0;
  const { promise: work, resolve } = Promise.withResolvers<string>();
  const deadline = new Deadline(20, () => {
    pings++;
    socket.write('P');
    setImmediate(() => {
      Atomics.wait(answered, 0, 0);
      Atomics.store(answered, 0, 0);
      const until = performance.now() + 30;
      while (performance.now() < until) {}
    });
    return once(socket, 'data').then(() => {
      if (pings === 2) resolve('done');
    });
  });
  assert.equal(await deadline.run(work), 'done');
  assert.equal(pings, 2);
  deadline.stop();
});
