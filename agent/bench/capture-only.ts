// `agent.capture.overhead_ratio` alone, repeated (`tsx bench/capture-only.ts [--repeat N] [--iters N]`): the figure is
// a ratio of two medians of ~2 ms calls, so on a shared machine one run says little; this prints it N times in a
// row on one loaded cls session, with the load average before each run. `bench/run.ts` prints it once among the rest.
import { availableParallelism, loadavg } from 'node:os';
import { ModelSession } from '../src/runtime/model-session';
import { CLS_MODEL_PATH, CLS_PREPROCESSING, localModel } from '../src/testing/cls';
import { captureOverhead } from './capture';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const repeat = arg('--repeat', 3);
const iters = arg('--iters', 1000);
const session = await ModelSession.load(
  localModel(CLS_MODEL_PATH, '1.0.0', CLS_PREPROCESSING, ['0', '180']),
  {
    intraOpNumThreads: Math.max(1, Math.min(4, availableParallelism())),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  },
);
for (let r = 0; r < repeat; r++) {
  console.log(`# run ${r + 1}/${repeat}, load average ${loadavg()[0]!.toFixed(2)}`);
  await captureOverhead(session, iters);
}
await session.release();
