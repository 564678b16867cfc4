import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultTemplates, render, type TemplateFields, unknownPlaceholders } from './templates.ts';

const fields: TemplateFields = {
  system: 'Login',
  severity: 'P0',
  status: 'investigating',
  regions: 'eu',
  started: '2026-12-01T04:00:00.000Z',
  resolved: '',
  eta: '',
  nextUpdate: '2026-12-01T04:30:00.000Z',
  message: '',
  rootCause: '',
  statusUrl: 'https://status.example.com',
};

test("the default announcement is seed 002's text with the incident's fields in it", () => {
  const text = render(defaultTemplates.announcement, fields);
  assert.match(text, /^🚨 Service Alert 🚨\n/);
  assert.match(text, /experiencing technical difficulties with Login\./);
  assert.match(text, /Affected: eu\./);
  assert.match(text, /Next update by 2026-12-01T04:30:00.000Z\./);
  assert.match(text, /Status updates: https:\/\/status\.example\.com$/);
  assert.doesNotMatch(text, /ETA:/, 'a line whose placeholders are all empty is left out');
  assert.doesNotMatch(text, /\{/);
});

test('the all clear names the root cause once one is given, and leaves the line out before', () => {
  assert.doesNotMatch(render(defaultTemplates.allClear, fields), /Root cause/);
  const text = render(defaultTemplates.allClear, { ...fields, rootCause: 'a bad deploy' });
  assert.equal(
    text,
    '✅ All Clear\nThe issue with Login has been resolved.\nRoot cause: a bad deploy\nThank you for your patience!',
  );
});

test('an edited template renders its own words; an unknown placeholder is named', () => {
  assert.equal(render('{system} is {status} in {regions}', fields), 'Login is investigating in eu');
  assert.deepEqual(unknownPlaceholders('{system} {nope} {eta} {Evil}'), ['nope', 'Evil']);
  for (const t of Object.values(defaultTemplates)) assert.deepEqual(unknownPlaceholders(t), []);
});
