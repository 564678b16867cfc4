/** Process entry: the one place the process's argv and environment enter Lifeline. */
import { useCompileCache } from './cli/compile-cache.ts';

// Before the rest is loaded, so that it loads from the cache (see compile-cache.ts).
useCompileCache();
const { runCli } = await import('./cli/index.ts');

// A reader that stopped reading (`lifeline restore status --watch | head`) is not an error: the
// output it wanted is out, so the command ends quietly, as `yes | head` does.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  tty: process.stdout.isTTY === true,
});
process.exitCode = code;
// A failed command is over: whatever a half-started server left open (a timer, a client) must not
// keep the process alive, or a supervisor sees it running when it serves nothing.
if (code !== 0) process.exit(code);
