/**
 * Issue 12, finding 1: one malformed WebSocket frame from any logged-in player ended the process
 * (the 'error' ws emits after closing a socket for a protocol error had no listener), and nothing
 * bounded what a flooding or non-reading client made the node hold. Frames are built by hand on a
 * raw TCP connection (wire.ts), since no WebSocket library sends an unmasked client frame.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeCodes } from '../../src/sessions/index.ts';
import { eventually, login, loginMany, startLifeline } from '../helpers.ts';
import { closePayload, frame, opcodes, pingFrame, RawClient, serveChild } from './wire.ts';

// The defaults (docs/CONFIGURATION.md, session.*).
const maxMessageBytes = 4096;
const maxBufferedBytes = 16384;
const burst = 50;

/**
 * How much a flood may grow the server's RSS, as docs/API.md ("What one socket may cost") states
 * it: one incoming message, the unsent data at the ceiling with Node's bookkeeping for each unsent
 * message (up to 16 times its bytes for messages as small as a pong), and 4 MiB for the runtime
 * (heap and allocator pages; the node runs with a young generation of fixed size, see wire.ts).
 */
const rssBound = maxMessageBytes + 16 * maxBufferedBytes + 4 * 1024 * 1024;

const malformed: Array<{ kind: string; code: number; bytes: () => Buffer }> = [
  {
    kind: 'a text frame over the size limit',
    code: 1009,
    bytes: () => frame({ opcode: opcodes.text, payload: `"${'x'.repeat(maxMessageBytes)}"` }),
  },
  {
    kind: 'a text frame of invalid UTF-8',
    code: 1007,
    bytes: () => frame({ opcode: opcodes.text, payload: Buffer.from([0x22, 0xc3, 0x28, 0xff, 0x22]) }),
  },
  {
    kind: 'an unmasked client frame',
    code: 1002,
    bytes: () => frame({ opcode: opcodes.text, payload: '{"type":"ping"}', mask: false }),
  },
  { kind: 'a reserved opcode', code: 1002, bytes: () => frame({ opcode: 0x3, payload: 'x' }) },
  {
    kind: 'RSV1 set with no extension negotiated',
    code: 1002,
    bytes: () => frame({ opcode: opcodes.text, rsv1: true, payload: '{"type":"ping"}' }),
  },
  {
    kind: 'a close frame with an invalid code',
    code: 1002,
    bytes: () => frame({ opcode: opcodes.close, payload: closePayload(1005) }),
  },
  {
    kind: 'a message in more than 16 fragments',
    code: 1008,
    bytes: () =>
      Buffer.concat(
        Array.from({ length: 20 }, (_, i) =>
          frame({ opcode: i === 0 ? opcodes.text : opcodes.continuation, fin: false, payload: ' ' }),
        ),
      ),
  },
];

test('each malformed frame closes only its own socket, with its RFC 6455 code; 100 other sockets keep answering and the process stays up', async (t) => {
  // A separate process, so "the process stays up" is seen from outside it.
  const node = await serveChild(t);
  const players = await loginMany(node.playerUrl, 'bystander', 100);
  const bystanders = await Promise.all(players.map((p) => RawClient.open(node.playerUrl, p.accessToken)));
  t.after(() => {
    for (const b of bystanders) b.socket.destroy();
  });

  for (const [i, m] of malformed.entries()) {
    await t.test(m.kind, async () => {
      const attacker = await RawClient.open(
        node.playerUrl,
        (await login(node.playerUrl, `attacker-${i}`)).accessToken,
      );
      attacker.send(m.bytes());
      assert.equal(await attacker.closed, m.code);

      const pongs = await Promise.all(bystanders.map((b) => b.ping()));
      assert.equal(pongs.filter((p) => p.type === 'pong').length, 100);
      assert.deepEqual(
        bystanders.filter((b) => b.closeCode !== undefined || b.socket.destroyed).length,
        0,
        'no other socket was closed',
      );
      assert.ok(node.alive(), `the process exited: ${node.stderr()}`);
      assert.equal((await fetch(`${node.playerUrl}/health`)).status, 200);
    });
  }
});

/** Pings `n` times in one write without reading, then reads: resolves with the pongs and close code. */
async function floodUnread(client: RawClient, n: number): Promise<{ pongs: number; code: number }> {
  client.socket.pause();
  const frames = Buffer.concat(Array.from({ length: n }, pingFrame));
  // Handed to the kernel in full before the client reads a byte of the answers.
  await new Promise<void>((resolve) => client.socket.write(frames, () => resolve()));
  let pongs = 0;
  const answeredAll = new Promise<never>((_, reject) => {
    const count = () => {
      pongs++;
      if (pongs === n) reject(new Error(`the server answered all ${n} pings and kept the socket open`));
      else void client.next('pong').then(count, () => {});
    };
    void client.next('pong').then(count, () => {});
  });
  answeredAll.catch(() => {});
  client.socket.resume();
  const code = await Promise.race([client.closed, answeredAll]);
  return { pongs, code };
}

test('10,000 pings from a client that does not read: the socket is closed with 4008 after the burst, and the server grows by no more than the bound', async (t) => {
  const node = await serveChild(t);
  const flooder = async (name: string) =>
    RawClient.open(node.playerUrl, (await login(node.playerUrl, name)).accessToken);
  // A first flood grows the heap to its working size, so what is measured next is what a flood leaves.
  await floodUnread(await flooder('warm-up'), 10_000);
  const before = node.rss();
  const { pongs, code } = await floodUnread(await flooder('flooder'), 10_000);
  const growth = node.rss() - before;
  t.diagnostic(`RSS growth ${growth} bytes (bound ${rssBound}); ${pongs} pongs`);
  assert.equal(code, closeCodes.rateLimited);
  assert.ok(pongs <= burst + 1, `the rate limit lets a burst of ${burst} through, not ${pongs}`);
  assert.ok(growth <= rssBound, `RSS grew by ${growth} bytes, over the bound of ${rssBound}`);
  assert.ok(node.alive(), `the process exited: ${node.stderr()}`);
});

/**
 * Floods frames without reading, 1000 to a write, until the server drops the connection or `cap`
 * frames are sent. An empty binary frame is the cheapest to send that the server answers, and its
 * answer (an `error` message of 85 bytes) fills the server's side soonest. The server's rate limit
 * must be out of the way for its outgoing ceiling to act.
 */
async function floodUntilDropped(
  client: RawClient,
  cap: number,
  sample: () => number,
): Promise<{ sent: number; peak: number }> {
  client.socket.pause();
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => frame({ opcode: opcodes.binary })));
  let sent = 0;
  let peak = sample();
  // Once the server has dropped it, the next write fails and the client socket closes.
  while (!client.socket.destroyed && sent < cap) {
    await new Promise<void>((resolve) => client.socket.write(batch, () => resolve()));
    sent += 1000;
    peak = Math.max(peak, sample());
  }
  return { sent, peak };
}

const noRateLimit = { perSecond: 1_000_000_000, burst: 1_000_000_000 };

test('a client that stops reading while it makes the server write is cut with 4009 once its unsent data passes the ceiling; others keep answering', async (t) => {
  const { app, playerUrl } = await startLifeline(t, { overrides: { session: { messageRate: noRateLimit } } });
  const codes: number[] = [];
  app.events.on('socket.closed', (e) => codes.push(e.code));
  const bystander = await RawClient.open(playerUrl, (await login(playerUrl, 'bystander')).accessToken);
  t.after(() => bystander.socket.destroy());
  const client = await RawClient.open(playerUrl, (await login(playerUrl, 'flooder')).accessToken);

  const { sent } = await floodUntilDropped(client, 1_000_000, () => 0);
  assert.ok(sent < 1_000_000, `still connected after ${sent} frames it never read the answers to`);
  await client.closed;
  await eventually(async () => (codes.includes(closeCodes.slowConsumer) ? true : undefined));
  assert.deepEqual(codes, [closeCodes.slowConsumer]);
  assert.equal((await bystander.ping()).type, 'pong');
});

test('frames from a client that never reads grow the server by no more than the bound, however many it sends', async (t) => {
  const node = await serveChild(t, {
    LIFELINE_SESSION__MESSAGE_RATE__PER_SECOND: String(noRateLimit.perSecond),
    LIFELINE_SESSION__MESSAGE_RATE__BURST: String(noRateLimit.burst),
  });
  const flood = async (name: string) => {
    const client = await RawClient.open(node.playerUrl, (await login(node.playerUrl, name)).accessToken);
    const before = node.rss();
    const { sent, peak } = await floodUntilDropped(client, 1_000_000, node.rss);
    await client.closed;
    return { sent, growth: peak - before };
  };
  await flood('warm-up');
  const { sent, growth } = await flood('flooder');
  t.diagnostic(`peak RSS growth ${growth} bytes (bound ${rssBound}) over ${sent} frames`);
  assert.ok(
    growth <= rssBound,
    `RSS grew by ${growth} bytes over ${sent} frames, over the bound of ${rssBound}`,
  );
  assert.ok(sent < 1_000_000, `still connected after ${sent} frames it never read the answers to`);
  assert.ok(node.alive(), `the process exited: ${node.stderr()}`);
});

test('the frame-size limit is session.maxMessageBytes', async (t) => {
  const { playerUrl } = await startLifeline(t, { overrides: { session: { maxMessageBytes: 100 } } });
  const client = await RawClient.open(playerUrl, (await login(playerUrl, 'p')).accessToken);
  // 100 bytes: answered (not JSON ping, so with an error message), and the socket stays open.
  client.send(frame({ opcode: opcodes.text, payload: 'x'.repeat(100) }));
  assert.equal((await client.next('error')).code, 'VALIDATION_FAILED');
  client.send(frame({ opcode: opcodes.text, payload: 'x'.repeat(101) }));
  assert.equal(await client.closed, 1009);
});
