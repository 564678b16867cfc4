import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roles } from '../store/index.ts';
import { isRole, may, type Permission, permissions } from './permissions.ts';

test('isRole knows the roles and nothing else', () => {
  for (const role of roles) assert.ok(isRole(role), role);
  for (const other of ['root', 'Admin', '', 'toString', '__proto__']) assert.ok(!isRole(other), other);
});

test('only an admin manages operators, writes flags and bans, resets the breaker, and kicks or restores in bulk', () => {
  const adminOnly: Permission[] = [
    'operators.manage',
    'flags.write',
    'bans.write',
    'breaker.reset',
    'commands.kick.bulk',
    'restores.start.bulk',
  ];
  for (const p of adminOnly)
    for (const role of roles) assert.equal(may(role, p), role === 'admin', `${role} ${p}`);
});

test('an auditor reads and never acts; a viewer neither acts nor reads the audit', () => {
  for (const p of Object.keys(permissions) as Permission[]) {
    const reads = p.endsWith('.read');
    if (!reads) {
      assert.ok(!may('auditor', p), `auditor ${p}`);
      assert.ok(!may('viewer', p), `viewer ${p}`);
    }
  }
  assert.ok(may('auditor', 'audit.read'));
  assert.ok(!may('viewer', 'audit.read'));
  assert.ok(!may('operator', 'audit.read'));
});

test('an operator kicks, halts and restores within the small tier', () => {
  for (const p of ['commands.kick', 'commands.halt', 'restores.start', 'restores.control'] as const)
    assert.ok(may('operator', p), p);
});

test('an admin may do everything listed', () => {
  for (const p of Object.keys(permissions) as Permission[]) assert.ok(may('admin', p), p);
});
