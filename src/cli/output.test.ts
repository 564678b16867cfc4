import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { CliError } from './errors.ts';
import { renderDocument, select, selectLines } from './output.ts';

const doc = {
  commands: [
    { id: 'cmd-1', state: 'done', plan: { count: 3 } },
    { id: 'cmd-2', state: 'awaiting-approval', plan: { count: 120 } },
  ],
  counts: { total: 2, byShard: { 'eu-1': 2 } },
  nextCursor: null,
};

test('--jq paths select fields, elements and each element, as jq does for the same path', () => {
  assert.deepEqual(select(doc, '.'), [doc]);
  assert.deepEqual(select(doc, '.commands[].id'), ['cmd-1', 'cmd-2']);
  assert.deepEqual(select(doc, '.commands[1].plan.count'), [120]);
  assert.deepEqual(select(doc, '.commands[-1].id'), ['cmd-2']);
  assert.deepEqual(select(doc, '.counts.byShard."eu-1"'), [2]);
  assert.deepEqual(select(doc, '.counts.byShard["eu-1"]'), [2]);
  assert.deepEqual(select(doc, '.["counts"].total'), [2]);
  assert.deepEqual(select(doc, '.counts.byShard[]'), [2], 'each value of an object');
  assert.deepEqual(select(doc, '.missing.deeper'), [null], 'absent is null, as in jq');
  assert.deepEqual(select(doc, '.commands[5]'), [null]);
  assert.deepEqual(select(doc, '.nextCursor'), [null]);
});

test('--jq prints strings raw and anything else as compact JSON, one per line', () => {
  assert.equal(selectLines(doc, '.commands[].id'), 'cmd-1\ncmd-2');
  assert.equal(selectLines(doc, '.commands[0].plan'), '{"count":3}');
  assert.equal(selectLines(doc, '.counts.total'), '2');
  assert.equal(selectLines({ items: [] }, '.items[]'), '', 'nothing selected prints nothing');
});

test('--jq refuses what is not a path with a coded error naming the flag, never a crash', () => {
  for (const [expr, why] of [
    ['.commands | length', /is not a path step/],
    ['commands', /starts with "\."/],
    ['.a[', /is not a path step/],
    ['.counts.total[]', /cannot iterate over number/],
    ['.commands.id', /cannot read "id" of array/],
    ['.counts[0]', /cannot index object/],
    ['."\\x"', /not a valid quoted name/],
    ['select(.state)', /starts with "\."/],
  ] as const) {
    assert.throws(
      () => select(doc, expr),
      (err: unknown) =>
        err instanceof CliError &&
        err.code === 'VALIDATION_FAILED' &&
        err.details.field === 'jq' &&
        why.test(err.message) &&
        /only paths are supported/.test(err.message),
      expr,
    );
  }
});

test('-o yaml is the JSON document in YAML; a stream separates documents', () => {
  const yaml = renderDocument(doc, { format: 'yaml' });
  assert.deepEqual(parseYaml(yaml), doc);
  assert.match(renderDocument(doc, { format: 'yaml' }, true), /^---\n/);
  assert.equal(renderDocument(doc, { format: 'json' }, true), JSON.stringify(doc));
  assert.deepEqual(JSON.parse(renderDocument(doc, { format: 'json' })), doc);
  assert.equal(renderDocument(doc, { format: 'yaml', jq: '.counts.total' }), '2', '--jq wins');
});
