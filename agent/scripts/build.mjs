// Bundles the agent into dist/ as plain ESM for devices: no tsx at run time (tsx alone costs ~30 MB
// of RSS). Workspace packages (TypeScript sources) are bundled; npm dependencies stay external.
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { AGENT_SHEBANG } from './node-flags.mjs';

const outdir = process.argv[2] ?? new URL('../dist', import.meta.url).pathname;
// The CLI carries the agent's node flags in its shebang (run it directly, or pass them to node).
for (const [name, entry, banner] of [
  ['edgefleet-agent', 'src/cli/run.ts', AGENT_SHEBANG],
  ['index', 'src/index.ts', ''],
]) {
  await build({
    entryPoints: { [name]: entry },
    banner: { js: banner },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    sourcemap: true,
    logLevel: 'warning',
    absWorkingDir: new URL('..', import.meta.url).pathname,
    plugins: [
      {
        name: 'external-npm',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@edgefleet/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
}
chmodSync(join(outdir, 'edgefleet-agent.mjs'), 0o755);
// The inference process's entry is forked by path (beside the bundle, as beside process-runner.ts).
copyFileSync(
  new URL('../src/runtime/inference-process.mjs', import.meta.url),
  join(outdir, 'inference-process.mjs'),
);
