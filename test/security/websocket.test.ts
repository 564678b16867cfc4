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

const maxMessageBytes = 4096;

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
