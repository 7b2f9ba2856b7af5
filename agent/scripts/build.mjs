// Bundles the agent into dist/ as plain ESM for devices: no tsx at run time (tsx alone costs ~30 MB
// of RSS). Workspace packages (TypeScript sources) are bundled; npm dependencies stay external.
import { build } from 'esbuild';

const outdir = process.argv[2] ?? new URL('../dist', import.meta.url).pathname;
await build({
  entryPoints: { 'edgefleet-agent': 'src/cli/run.ts', index: 'src/index.ts' },
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
