/**
 * Debian tools some suites run for real (promtool, prometheus, alertmanager, chromium). Without
 * one, a suite skips with one line saying how to install it, unless CI=true, where a missing
 * tool is a failure (.ci/run installs them).
 */
import { accessSync, constants } from 'node:fs';
import { test } from 'node:test';

/** The tool's path when it is installed and executable, else null. */
export function findTool(path: string): string | null {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return null;
  }
}

/**
 * The tool at `path`, or null after registering a failing test (CI=true) or a skipped one saying
 * which Debian package brings it.
 */
export function requireTool(suite: string, path: string, debianPackage: string): string | null {
  const found = findTool(path);
  if (found) return found;
  if (process.env.CI === 'true') {
    test(`${suite} needs ${path}`, () => {
      throw new Error(`CI=true requires ${path}: apt-get install ${debianPackage}`);
    });
  } else {
    console.log(
      `${suite} skipped: apt-get install ${debianPackage} (for ${path}), or set CI=true to require it`,
    );
    test(suite, { skip: `${path} not installed` }, () => {});
  }
  return null;
}
