/**
 * The Lua scripts, one `.lua` file each under ./scripts (their headers name their KEYS and ARGV),
 * read once at module load and registered with the client through node-redis's `defineScript`:
 * a call sends EVALSHA, and the text only when Redis answers NOSCRIPT (the first call, or after a
 * restart or SCRIPT FLUSH), after which Redis has it cached again.
 *
 * The files sit beside the code and are read relative to it: Node runs the TypeScript as is, so
 * there is no build step that could leave them behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandParser, defineScript, type RedisArgument } from 'redis';

const DIR = join(import.meta.dirname, 'scripts');

/** `--- @include "includes/x"` (bullmq's syntax): Lua has no modules inside Redis. */
const INCLUDE = /^--- @include "([\w/]+)"$/gm;

/** A script's text with each include replaced by that file, once per script. */
function load(name: string, included = new Set<string>()): string {
  const text = readFileSync(join(DIR, `${name}.lua`), 'utf8');
  return text.replace(INCLUDE, (_line, inc: string) => {
    if (included.has(inc)) return '';
    included.add(inc);
    return load(inc, included);
  });
}

/** A script called as `client.<name>(keys, args)`; the key count is sent with the keys. */
function script(name: string) {
  return defineScript({
    SCRIPT: load(name),
    parseCommand(parser: CommandParser, keys: RedisArgument[], args: RedisArgument[]) {
      parser.pushKeysLength(keys);
      parser.push(...args);
    },
    // Each caller reads its script's reply shape (see the header of its file).
    transformReply: (reply: unknown): unknown => reply,
  });
}

export const scripts = {
  putSession: script('putSession'),
  openSession: script('openSession'),
  moveSession: script('moveSession'),
  touchSession: script('touchSession'),
  endSessions: script('endSessions'),
  endNodeSessions: script('endNodeSessions'),
  claimKickBudget: script('claimKickBudget'),
  takeRateToken: script('takeRateToken'),
  announceNode: script('announceNode'),
  lostNodes: script('lostNodes'),
  adoptRun: script('adoptRun'),
  releaseRun: script('releaseRun'),
  acquirePermits: script('acquirePermits'),
  releasePermit: script('releasePermit'),
};
