import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isRole, may, type Permission, permissions } from './permissions.ts';
import { roles } from './records.ts';

/** The `### Roles` table of docs/API.md, as permission → the roles ticked. */
function documentedRoles(): Map<string, string[]> {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/API.md'), 'utf8');
  const lines = doc.slice(doc.indexOf('### Roles')).split('\n');
  const start = lines.findIndex((line) => line.startsWith('| permission'));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  const header = lines[start]?.split('|').map((cell) => cell.trim());
  const rows = lines.slice(start + 2, end);
  assert.ok(header, 'docs/API.md has a "### Roles" table headed "| permission"');
  const table = new Map<string, string[]>();
  for (const row of rows) {
    const cells = row.split('|').map((cell) => cell.trim());
    const name = cells[1]?.replaceAll('`', '') ?? '';
    table.set(
      name,
      roles.filter((role) => cells[header.indexOf(role)] === '✓'),
    );
  }
  return table;
}

test('the roles table in docs/API.md says what the code allows, permission by permission', () => {
  const doc = documentedRoles();
  assert.deepEqual([...doc.keys()].sort(), Object.keys(permissions).sort(), 'the same permissions');
  for (const [permission, allowed] of Object.entries(permissions)) {
    assert.deepEqual(
      doc.get(permission),
      roles.filter((r) => (allowed as readonly string[]).includes(r)),
      permission,
    );
  }
});

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

test('an auditor reads and never acts; a viewer acts only to halt, and does not read the audit', () => {
  for (const p of Object.keys(permissions) as Permission[]) {
    const reads = p.endsWith('.read');
    if (!reads) {
      assert.ok(!may('auditor', p), `auditor ${p}`);
      assert.equal(may('viewer', p), p === 'commands.halt', `viewer ${p}`);
    }
  }
  assert.ok(may('auditor', 'audit.read'));
  assert.ok(!may('viewer', 'audit.read'));
});

test('on-call: whoever watches can halt a runaway command; an operator reads the audit to see why', () => {
  for (const role of ['viewer', 'operator', 'admin'] as const) assert.ok(may(role, 'commands.halt'), role);
  assert.ok(may('operator', 'audit.read'));
});

test('an operator kicks, halts and restores within the small tier', () => {
  for (const p of ['commands.kick', 'commands.halt', 'restores.start', 'restores.control'] as const)
    assert.ok(may('operator', p), p);
});

test('an admin may do everything listed', () => {
  for (const p of Object.keys(permissions) as Permission[]) assert.ok(may('admin', p), p);
});
