#!/usr/bin/env node
// `pnpm demo`: the orchestrator is TypeScript (like every package here); tsx loads it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
// Everything the demo started is stopped before main resolves; exit even if a library left a handle open.
process.exit(await main(process.argv.slice(2)));
