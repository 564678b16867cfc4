import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressBucket, ClientAddress } from './client-ip.ts';

test('X-Forwarded-For is read only from a trusted peer, from the right, up to the first untrusted hop', () => {
  const none = new ClientAddress([]);
  assert.equal(
    none.of('203.0.113.9', '198.51.100.1'),
    '203.0.113.9',
    'no trusted proxy: the header is ignored',
  );
  assert.equal(none.of('::ffff:127.0.0.1', undefined), '127.0.0.1', 'a dual-stack peer is its IPv4 address');
  const behind = new ClientAddress(['10.0.0.0/8', '::1']);
  assert.equal(
    behind.of('203.0.113.9', '198.51.100.1'),
    '203.0.113.9',
    'an untrusted peer cannot name a client',
  );
  assert.equal(behind.of('10.1.2.3', '198.51.100.1'), '198.51.100.1');
  assert.equal(
    behind.of('10.1.2.3', '192.0.2.66, 198.51.100.1'),
    '198.51.100.1',
    'what the client wrote is left of it',
  );
  assert.equal(
    behind.of('10.1.2.3', '198.51.100.1, 10.9.9.9'),
    '198.51.100.1',
    'chained trusted proxies are skipped',
  );
  assert.equal(behind.of('::1', ['198.51.100.1', '10.0.0.2']), '198.51.100.1', 'repeated headers join');
  assert.equal(
    behind.of('10.1.2.3', 'garbage, 10.0.0.4'),
    '10.0.0.4',
    'garbage stops the walk at the last good hop',
  );
  assert.equal(behind.of('10.1.2.3', undefined), '10.1.2.3');
});

test('IPv6 clients share one bucket per /64; IPv4 ones have their own', () => {
  assert.equal(addressBucket('203.0.113.9'), '203.0.113.9');
  assert.equal(addressBucket('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressBucket('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  assert.equal(addressBucket('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressBucket('::1'), '0:0:0:0::/64');
});
