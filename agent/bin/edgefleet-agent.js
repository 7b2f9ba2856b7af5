#!/usr/bin/env -S node --max-semi-space-size=2
// Node flags: see scripts/node-flags.mjs (keep in step).
// The package ships TypeScript sources (exports point at src/*.ts); tsx loads them.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), process.env);
