import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { actionKinds, builtinScenarios, faultKinds, parseScenario } from './index.ts';

const doc = readFileSync(join(import.meta.dirname, '../../../docs/SCENARIOS.md'), 'utf8');

test('the example in docs/SCENARIOS.md is a valid scenario', () => {
  const example = /```json\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example !== undefined, 'SCENARIOS.md has a json example');
  assert.equal(parseScenario(example, 'SCENARIOS.md').name, 'identity-blip');
});

test('docs/SCENARIOS.md documents every fault kind, action and built-in', () => {
  for (const word of [...faultKinds, ...actionKinds, ...builtinScenarios()])
    assert.match(doc, new RegExp(`\\| \`${word}\` \\|`), `${word} is missing from SCENARIOS.md`);
});
