/**
 * Node's on-disk compile cache, for this process and the worker threads it starts.
 *
 * Every TypeScript file is type-stripped and compiled on each load; the first strip in a thread
 * also loads Node's stripper (a WebAssembly module). With the cache, `lifeline --help` starts in
 * ~1.15 s instead of ~1.5 s, and an audit-verify or signing worker answers its first job after
 * ~60 ms instead of ~140–220 ms (docs/BENCHMARKS.md, 2026-12-02). Worker threads do not share the
 * parent's cache, only its environment, so the directory is handed on there.
 *
 * The directory is Node's choice (`NODE_COMPILE_CACHE`, else `node-compile-cache` under the OS
 * temporary directory); `NODE_DISABLE_COMPILE_CACHE=1` turns it off. Node keys each entry by the
 * source's hash and its own version, so an edited file is compiled afresh.
 */
import { enableCompileCache, getCompileCacheDir } from 'node:module';

export function useCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  enableCompileCache();
  const dir = getCompileCacheDir();
  if (dir !== undefined) env.NODE_COMPILE_CACHE = dir;
}
