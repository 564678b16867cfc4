/**
 * Summarises a V8 CPU profile (the `.cpuprofile` format) into self time per function and per
 * package, which is enough to say where a login's time goes. The profile covers the main thread
 * only: work handed to the libuv pool (WebCrypto signing) shows up as waiting, not here.
 */
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  /** Share of the busy (not idle) main-thread time. */
  percent: number;
}

export interface ProfileSummary {
  sampledMs: number;
  idlePercent: number;
  byArea: ProfileLine[];
  topFunctions: ProfileLine[];
  /**
   * Lifeline's own functions with everything they call, as far as one synchronous stretch goes
   * (after an `await` the rest of an async function runs from the microtask queue).
   */
  lifelineInclusive: ProfileLine[];
}

const root = new URL('../../', import.meta.url).pathname;

function fileOf(url: string): string {
  return url.startsWith('file://') ? new URL(url).pathname : url;
}

/** Which package or part of Lifeline a function belongs to. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const url = fileOf(frame.url);
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts[0] === 'internal' ? (parts[1] ?? 'internal').replace(/\.js$/, '') : (parts[0] as string)}`;
  }
  const src = /\/src\/([^/]+)/.exec(url);
  if (src && url.startsWith(root)) return `lifeline src/${src[1]}`;
  return relative(root, url);
}

function whereOf(frame: ProfileNode['callFrame']): string {
  const url = fileOf(frame.url);
  if (url === '') return '';
  const short = url.includes('node_modules/')
    ? url.slice(url.lastIndexOf('node_modules/') + 13)
    : url.startsWith(root)
      ? relative(root, url)
      : url;
  return `${short}:${frame.lineNumber + 1}`;
}

function top(map: Map<string, number>, busyMs: number, n: number): ProfileLine[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), percent: Math.round((ms / busyMs) * 1000) / 10 }));
}

export function summariseProfile(profile: CpuProfile, topN = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time from sample i-1 to sample i; the time until the next sample is
  // spent where sample i was taken.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  // A native function (no script) is charged to the JS code that called it: `run` called by
  // node:sqlite's statement is storage, `run` called by WebCrypto's jobPromise is signing.
  const caller = (id: number): ProfileNode | undefined => {
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const n = byId.get(at);
      if (n && n.callFrame.url !== '') return n;
    }
    return undefined;
  };

  let totalUs = 0;
  let idleUs = 0;
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const native = frame.url === '' && !frame.functionName.startsWith('(');
    const from = native ? caller(id) : undefined;
    const area = from ? areaOf(from.callFrame) : areaOf(frame);
    byArea.set(area, (byArea.get(area) ?? 0) + us / 1000);
    const where = from
      ? `(native, from ${from.callFrame.functionName || '(anonymous)'} ${whereOf(from.callFrame)})`
      : whereOf(frame);
    const name = `${frame.functionName || '(anonymous)'}${where ? `  ${where}` : ''}  [${area}]`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us / 1000);
  }
  const busyMs = Math.max(1, (totalUs - idleUs) / 1000);

  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || !areaOf(frame).startsWith('lifeline src/')) continue;
      const name = `${frame.functionName || '(anonymous)'}  ${whereOf(frame)}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us / 1000);
    }
  }
  return {
    sampledMs: Math.round(totalUs / 1000),
    idlePercent: totalUs === 0 ? 0 : Math.round((idleUs / totalUs) * 1000) / 10,
    byArea: top(byArea, busyMs, 12),
    topFunctions: top(byFunction, busyMs, topN),
    lifelineInclusive: top(inclusive, busyMs, 10),
  };
}
