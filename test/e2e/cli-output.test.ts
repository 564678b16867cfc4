/**
 * The CLI's output against a real node: `sessions` pages like every list (and says when more
 * follow), `-o json|yaml|wide` and `--jq` on lists and single answers, the admin URL or store a
 * command used named on stderr, shell completion generated from the program, and `bin/lifeline`
 * run as a shell runs it: on the pinned Node 24, with no npm engine warning; the TOTP enrolment as
 * a QR code on a terminal.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { renderUnicodeCompact } from 'uqr';
import { parse as parseYaml } from 'yaml';
import { fastAdmin, loginMany, runCliCaptured, startLifeline, tempDir } from '../helpers.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

async function withRoot(t: Parameters<typeof startLifeline>[0]) {
  // A dozen CLI calls within a second on a quiet machine: past the admin listener's default rate.
  const running = await startLifeline(t, {
    overrides: fastAdmin,
  });
  const env = { LIFELINE_DATA_DIR: running.dataDir, LIFELINE_ADMIN_URL: running.adminUrl };
  const added = await runCliCaptured(
    ['operators', 'add', 'root', '--role', 'admin', '--json'],
    env,
    running.dataDir,
  );
  const token = added.json.token as string;
  const cli = (args: string[], opts: { tty?: boolean } = {}) =>
    runCliCaptured([...args, '--token', token], env, running.dataDir, opts);
  return { running, env, token, cli };
}

test('sessions pages by cursor and says when more follow; --all reads them all, none twice', async (t) => {
  const { running, cli } = await withRoot(t);
  await loginMany(running.playerUrl, 'pg', 7, 'eu');

  const first = await cli(['sessions', '--limit', '3']);
  assert.equal(first.code, 0, first.out);
  const rows = first.stdout.trim().split('\n');
  assert.equal(rows.length, 3, 'piped: one tab-separated line per session, no header, no counts');
  assert.ok(rows.every((r) => r.split('\t').length === 5 && r.split('\t')[2] === 'eu'));
  assert.match(
    first.stderr,
    /^7 live session\(s\): eu-1 \d, eu-2 \d, eu-3 \d$/m,
    'the counts, on stderr when piped',
  );
  const cursor = /^more: --cursor (\S+) \(or --all\)$/m.exec(first.stderr)?.[1];
  assert.ok(cursor, first.stderr);

  const seen = rows.map((r) => r.split('\t')[1]);
  let next: string | undefined = cursor;
  while (next !== undefined) {
    const page = await cli(['sessions', '--limit', '3', '--cursor', next]);
    assert.equal(page.code, 0, page.out);
    seen.push(
      ...page.stdout
        .trim()
        .split('\n')
        .map((r) => r.split('\t')[1] as string),
    );
    next = /^more: --cursor (\S+)/m.exec(page.stderr)?.[1];
  }
  assert.equal(seen.length, 7);
  assert.equal(new Set(seen).size, 7, 'no session on two pages');

  const all = await cli(['sessions', '--limit', '2', '--all', '--json']);
  assert.equal(all.code, 0, all.out);
  assert.equal(all.json.sessions.length, 7);
  assert.equal(all.json.nextCursor, null);
  assert.equal(all.json.counts.total, 7);
  assert.deepEqual(
    all.json.sessions.map((s: any) => s.playerId).sort(),
    [...seen].sort(),
    'the same sessions as the pages',
  );
  const bad = await cli(['sessions', '--cursor', 'bm9wZQ', '--json']);
  assert.equal(bad.json.error.code, 'VALIDATION_FAILED');

  // On a terminal: the counts, then an aligned table under its header; -o wide adds columns.
  const tty = await cli(['sessions', '--limit', '2'], { tty: true });
  const lines = tty.stdout.trim().split('\n');
  assert.match(lines[0] as string, /^7 live session\(s\)/);
  assert.match(lines[1] as string, /^SESSION\s+PLAYER\s+REGION\s+SHARD\s+SINCE$/);
  const wide = await cli(['sessions', '--limit', '2', '-o', 'wide'], { tty: true });
  assert.match(
    wide.stdout,
    /^SESSION\s+PLAYER\s+REGION\s+SHARD\s+SINCE\s+ZONE\s+CLIENT\s+NODE\s+LAST SEEN$/m,
  );
});

test('-o json, -o yaml and --jq print the same answer, on lists and on single answers; errors too', async (t) => {
  const { running, token, cli } = await withRoot(t);
  await loginMany(running.playerUrl, 'out', 3, 'na');

  const json = await cli(['sessions', '-o', 'json']);
  assert.equal(json.json.counts.total, 3);
  const yaml = await cli(['sessions', '-o', 'yaml']);
  assert.equal(yaml.code, 0, yaml.out);
  assert.deepEqual(parseYaml(yaml.stdout), json.json, 'the same document in YAML');
  const players = await cli(['sessions', '--jq', '.sessions[].playerId']);
  assert.deepEqual(players.stdout.trim().split('\n').sort(), ['out-0', 'out-1', 'out-2']);
  assert.equal((await cli(['sessions', '--jq', '.counts.total'])).stdout, '3\n');
  // Global options work before the command's name too, as --json always has.
  const before = await runCliCaptured(
    ['--jq', '.counts.byRegion.na', 'sessions', '--token', token],
    { LIFELINE_ADMIN_URL: running.adminUrl },
    running.dataDir,
  );
  assert.equal(before.stdout, '3\n');

  const breaker = await cli(['breaker', 'status', '--json']);
  assert.equal(breaker.code, 0, breaker.out);
  assert.deepEqual(parseYaml((await cli(['breaker', 'status', '-o', 'yaml'])).stdout), breaker.json);
  assert.equal(breaker.json.breaker.state, 'closed');
  assert.equal((await cli(['breaker', 'status', '--jq', '.breaker.state'])).stdout, 'closed\n');

  const badPath = await cli(['sessions', '--jq', '.sessions | length']);
  assert.equal(badPath.code, 1);
  assert.match(
    badPath.stderr,
    /^error VALIDATION_FAILED: --jq "\.sessions \| length": .* only paths are supported/m,
  );
  const badFormat = await cli(['sessions', '-o', 'xml']);
  assert.equal(badFormat.code, 1);
  assert.match(badFormat.out, /argument 'xml' is invalid\. Allowed choices are json, yaml, wide, table/);

  // An error is a document too: JSON on stdout with -o json, YAML with -o yaml.
  const kickJson = await cli(['kick', '--region', 'mars', '--reason', 'nope', '-o', 'json']);
  assert.equal(kickJson.code, 1);
  assert.equal(kickJson.json.error.code, 'UNKNOWN_REGION');
  const kickYaml = await cli(['kick', '--region', 'mars', '--reason', 'nope', '-o', 'yaml']);
  assert.deepEqual(parseYaml(kickYaml.stdout), kickJson.json);
});

test('a command that did its work names on stderr the admin URL it talked to, or the store it opened', async (t) => {
  const { running, env, token, cli } = await withRoot(t);
  const api = await cli(['flags', 'list']);
  assert.equal(api.code, 0, api.out);
  assert.equal(api.stderr, `admin API: ${running.adminUrl} (from LIFELINE_ADMIN_URL)\n`);
  assert.doesNotMatch(api.stdout, /admin API/, 'stdout stays the answer');
  const flagged = await runCliCaptured(
    ['flags', 'list', '--admin-url', running.adminUrl, '--token', token, '--json'],
    { LIFELINE_DATA_DIR: running.dataDir },
    running.dataDir,
  );
  assert.equal(flagged.stderr, `admin API: ${running.adminUrl} (from --admin-url)\n`);
  assert.ok(flagged.json, 'stdout is still one JSON document');

  const direct = await runCliCaptured(['operators', 'list'], env, running.dataDir);
  assert.equal(direct.stderr, `store: sqlite ${running.dataDir}/lifeline.db\n`);

  const failed = await cli(['kick', '--region', 'mars', '--reason', 'nope']);
  assert.doesNotMatch(failed.stderr, /^admin API:/m, 'a failure names the URL in its details instead');
  assert.match(failed.stderr, new RegExp(`^ {2}admin URL: ${running.adminUrl}$`, 'm'));
  const context = await cli(['context']);
  assert.equal(context.stderr, '', 'context says where things are on stdout: no second line');
});

test('completion scripts come from the program: bash completes commands, flags and choices', async (t) => {
  const dir = tempDir(t);
  const cli = (...args: string[]) => runCliCaptured(args, {}, dir);
  const bash = await cli('completion', 'bash');
  assert.equal(bash.code, 0, bash.out);
  const script = join(dir, 'lifeline.bash');
  writeFileSync(script, bash.stdout);
  const complete = async (...words: string[]) => {
    const { stdout } = await run('bash', [
      '-c',
      `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _lifeline; printf '%s\\n' "\${COMPREPLY[@]}"`,
      script,
      'lifeline',
      ...words,
    ]);
    return stdout.trim().split('\n').filter(Boolean);
  };
  assert.deepEqual(await complete('oper'), ['operators']);
  assert.deepEqual(await complete('operators', 're'), ['request', 'revoke']);
  assert.deepEqual(await complete('operators', 'add', '--role', ''), [
    'viewer',
    'operator',
    'admin',
    'auditor',
  ]);
  assert.deepEqual(await complete('--json', 'restore', 'st'), ['start', 'status']);
  assert.deepEqual(await complete('sessions', '-o', 'y'), ['yaml']);
  const flags = await complete('sessions', '--');
  for (const f of ['--region', '--limit', '--cursor', '--all', '--jq', '--token', '--output'])
    assert.ok(flags.includes(f), `${f} in ${flags.join(' ')}`);
  assert.ok(!flags.includes('--batch-size'), "another command's flag is not offered");

  const zsh = await cli('completion', 'zsh');
  assert.match(zsh.stdout, /^#compdef lifeline$/m);
  assert.match(zsh.stdout, /bashcompinit/);
  const fish = await cli('completion', 'fish');
  assert.match(fish.stdout, /^complete -c lifeline -n '__fish_use_subcommand' -a operators -d/m);
  assert.match(
    fish.stdout,
    /^complete -c lifeline -n '__fish_seen_subcommand_from operators; and __fish_seen_subcommand_from add' -l role -r -a 'viewer operator admin auditor'/m,
  );
  const tcsh = await cli('completion', 'tcsh');
  assert.equal(tcsh.code, 1);
  assert.match(tcsh.stderr, /^error VALIDATION_FAILED: completion is for bash, zsh or fish, not "tcsh"$/m);
});

test('bin/lifeline runs on the pinned Node 24 from a shell whose node is older, and prints no npm warning', async (t) => {
  const running = await startLifeline(t);
  // The machine's node first on PATH, as in an operator's shell: no node_modules/.bin, no npm.
  const { stdout, stderr } = await run(join(root, 'bin/lifeline'), ['context', '--json'], {
    cwd: running.dataDir,
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LIFELINE_DATA_DIR: running.dataDir,
      LIFELINE_ADMIN_URL: running.adminUrl,
    },
  });
  assert.equal(stderr, '', 'nothing on stderr: no EBADENGINE, no trail for context');
  const context = JSON.parse(stdout);
  assert.equal(context.adminUrl, running.adminUrl);
  assert.equal(context.admin.answers, true);
});

test('the TOTP enrolment is a QR code on a terminal, of the very URI printed; piped, only the URI', async (t) => {
  const dir = tempDir(t);
  const env = { LIFELINE_DATA_DIR: dir };
  const onTerminal = await runCliCaptured(['operators', 'add', 'root', '--role', 'admin'], env, dir, {
    tty: true,
  });
  assert.equal(onTerminal.code, 0, onTerminal.out);
  const uri = /add to an authenticator app\): (otpauth:\/\/\S+)/.exec(onTerminal.stdout)?.[1] ?? '';
  assert.ok(uri?.includes('secret='), onTerminal.stdout);
  const qr = onTerminal.stdout.split('or scan it:\n')[1] ?? '';
  assert.equal(qr.trimEnd(), renderUnicodeCompact(uri, { ecc: 'M', border: 2 }).trimEnd());
  assert.match(qr, /[▀▄█]/);

  const piped = await runCliCaptured(
    ['operators', 'add', 'ops', '--role', 'viewer', '--break-glass'],
    env,
    dir,
    {
      tty: false,
    },
  );
  assert.equal(piped.code, 0, piped.out);
  assert.match(piped.stdout, /add to an authenticator app\): otpauth:\/\//);
  assert.doesNotMatch(piped.stdout, /scan it|[▀▄█]/);
});
