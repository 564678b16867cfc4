/**
 * Lifeline's import rules, checked by `npm run deps` (part of `npm test`): no cycles, and only
 * the composition roots (src/app.ts, src/cli/, src/main.ts) reach an adapter. A capability
 * depends on the store and live-state ports by role (src/store/index.ts, src/live/index.ts, types
 * only); the ports and adapters depend on the domain's records, never on a capability's service.
 * Parsed with swc: TypeScript 7 has no compiler API for dependency-cruiser yet.
 */
const tests = '(\\.test\\.ts$|/contract\\.ts$)';
const adapters = '^src/(store/(sqlite|postgres|open\\.ts)|live/(memory\\.ts|redis|open\\.ts))';
const roots = '^src/(app\\.ts|app/|cli/|main\\.ts)';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'adapters-only-from-the-composition-root',
      comment:
        'A capability reaches the store and live state through their ports, never an adapter, not even through a barrel.',
      severity: 'error',
      from: { path: '^src/', pathNot: [roots, '^src/store/', '^src/live/', tests] },
      to: { path: adapters, reachable: true },
    },
    {
      name: 'ports-not-internals',
      comment: 'Outside store/ and live/, only their port barrels are imported.',
      severity: 'error',
      from: { path: '^src/', pathNot: [roots, '^src/store/', '^src/live/', tests] },
      to: { path: '^src/(store|live)/', pathNot: '^src/(store|live)/index\\.ts$' },
    },
    {
      name: 'store-and-live-depend-on-the-domain',
      comment: "Ports and adapters import records and pure helpers, not a capability's service.",
      severity: 'error',
      from: { path: '^src/(store|live)/', pathNot: tests },
      to: {
        path: '^src/',
        pathNot: [
          '^src/(store|live|errors|ids)/',
          '^src/[^/]+/records\\.ts$',
          // The chain's hashing, pure, for the SQLite adapter's verify workers.
          '^src/audit/(chain|canonical)\\.ts$',
          '^src/sessions/(filter|directive)\\.ts$',
          '^src/admission/aimd\\.ts$',
        ],
      },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
