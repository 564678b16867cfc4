import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Directive } from './directive.ts';
import { type Ending, farewellFor } from './farewell.ts';
import { closeCodes } from './protocol.ts';

const mint = (disruptionId: string) => `resume-for-${disruptionId}`;

test('a kick closes 4001 with its reason, command and a resume token minted from its disruption', () => {
  const kick: Directive = {
    kind: 'kicked',
    sessionId: 's1',
    commandId: 'cmd-1',
    reason: 'bad build',
    disruptionId: 'dis-9',
  };
  assert.deepEqual(farewellFor(kick, mint), {
    code: closeCodes.kicked,
    reason: 'kicked',
    message: { type: 'kicked', reason: 'bad build', commandId: 'cmd-1', resumeToken: 'resume-for-dis-9' },
  });
});

test('revocations and a superseded session close with their codes and carry no resume token', () => {
  const minted: string[] = [];
  const spy = (id: string) => {
    minted.push(id);
    return id;
  };
  const ban = farewellFor({ kind: 'revoked', sessionId: 's', reason: 'banned' }, spy);
  assert.equal(ban?.code, closeCodes.revoked);
  assert.deepEqual(ban?.message, { type: 'revoked', reason: 'banned' });
  const cap = farewellFor({ kind: 'superseded', sessionId: 's' }, spy);
  assert.equal(cap?.code, closeCodes.superseded);
  assert.deepEqual(cap?.message, { type: 'revoked', reason: 'session-limit' });
  assert.deepEqual(minted, []);
});

test("the hub's own endings close with the documented codes, silently where the client cannot listen", () => {
  const cases: [Ending['kind'], number, boolean][] = [
    ['session-ended', closeCodes.revoked, true],
    ['replaced', closeCodes.replaced, true],
    ['moved', closeCodes.replaced, true],
    ['heartbeat-timeout', closeCodes.heartbeatTimeout, false],
    ['rate-limited', closeCodes.rateLimited, false],
    ['slow-consumer', closeCodes.slowConsumer, false],
    ['going-away', closeCodes.goingAway, false],
  ];
  for (const [kind, code, told] of cases) {
    const f = farewellFor({ kind } as Ending, mint);
    assert.equal(f?.code, code, kind);
    assert.equal(f?.message !== undefined, told, kind);
    assert.ok(f && Buffer.byteLength(f.reason) <= 123, `${kind}: a close reason fits a close frame`);
  }
});

test('a directive of a kind this node does not know (another version, or junk on the bus) is ignored', () => {
  for (const kind of ['end-session', 'toString', '__proto__'])
    assert.equal(farewellFor({ kind, sessionId: 's' } as unknown as Ending, mint), undefined, kind);
});
