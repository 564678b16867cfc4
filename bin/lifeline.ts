#!/usr/bin/env node
// `lifeline` / `npx lifeline`: npm puts node_modules/.bin first on PATH, so `node` here is the
// project's pinned Node 24, which runs TypeScript directly.
import '../src/main.ts';
