/**
 * docs/OPERATOR-GUIDE.md's runbooks use the CLI or the console only (issue 17): no curl, and every
 * `lifeline …` line in a shell block names a command this CLI has, so a renamed or removed command
 * cannot leave a runbook that fails at 3 a.m.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from './index.ts';

const guide = readFileSync(join(import.meta.dirname, '../../docs/OPERATOR-GUIDE.md'), 'utf8');

/** The `lifeline` lines of the guide's shell blocks: the command words before the first flag. */
function runbookCommands(): string[][] {
  const commands: string[][] = [];
  let inShell = false;
  for (const raw of guide.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('```')) {
      inShell = line === '```sh' || line === '```bash';
      continue;
    }
    if (!inShell || !line.startsWith('lifeline ')) continue;
    const words: string[] = [];
    for (const w of line.split(/\s+/).slice(1)) {
      if (!/^[a-z][a-z0-9-]*$/.test(w)) break;
      words.push(w);
    }
    commands.push(words);
  }
  return commands;
}

test('the operator guide calls no curl and no inline script', () => {
  assert.doesNotMatch(guide, /\bcurl\b/);
  assert.doesNotMatch(guide, /\bnode -e\b|\bpython3? -c\b/);
});

test("every lifeline command in the operator guide's runbooks is one the CLI has", async () => {
  const commands = runbookCommands();
  assert.ok(commands.length > 50, `${commands.length} runbook lines found`);
  for (const words of commands) {
    let out = '';
    const code = await runCli([...words, '--help'], {
      env: {},
      cwd: process.cwd(),
      out: (s) => {
        out += s;
      },
      err: (s) => {
        out += s;
      },
    });
    assert.equal(code, 0, `lifeline ${words.join(' ')}: ${out}`);
    assert.match(out, new RegExp(`Usage: lifeline ${words[0] ?? ''}`), `lifeline ${words.join(' ')}`);
  }
});
