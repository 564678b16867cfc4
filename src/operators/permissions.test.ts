import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { permissions } from './permissions.ts';
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
