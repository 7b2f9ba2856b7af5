// `pnpm bench` (demo): how far the label-free estimated accuracy is from the measured one on the demo's data.
// The demo's images carry their true orientation, so "measured" here is the accuracy over every image, not a
// labelled sample. Each model's answers are counted exactly as a device counts them (countRoute/countLabel in
// shared), with a 20 % spot-check of labels as the demo's operators give, and judged by the server's estimator.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countLabel, countRoute, emptyFeedback } from '@edgefleet/shared';
import { estimateAccuracy } from '@edgefleet/shared/stats';
import { DEFAULT_SESSION_OPTIONS, ModelSession } from '../../agent/src/runtime/model-session';
import { CLS_MODEL_PATH, localModel } from '../../agent/src/testing/cls';
import { orientationAnswer } from '../src/answer';
import { inspectionSample, seededRandom } from '../src/images';
import { shiftConstant } from '../src/onnx-patch';

const IMAGES = Number(process.env.BENCH_QUALITY_IMAGES ?? 2000);
const SPOT_CHECK_SHARE = 0.2;
const CLASSES = ['0', '180'];

interface Answer {
  truth: number;
  predicted: number;
  confidence: number;
}

async function answers(modelPath: string, version: string): Promise<Answer[]> {
  const session = await ModelSession.load(localModel(modelPath, version), {
    ...DEFAULT_SESSION_OPTIONS,
    intraOpNumThreads: 1,
  });
  const out: Answer[] = [];
  for (let seed = 5_000_000; seed < 5_000_000 + IMAGES; seed++) {
    const sample = await inspectionSample(seed);
    const answer = await orientationAnswer(session, sample.bytes);
    out.push({
      truth: CLASSES.indexOf(sample.orientation),
      predicted: CLASSES.indexOf(answer.orientation),
      confidence: answer.confidence,
    });
  }
  await session.release();
  return out;
}

function judge(name: string, all: Answer[]): void {
  const feedback = emptyFeedback(CLASSES);
  const spotCheck = seededRandom(11);
  for (const a of all) {
    countRoute(feedback, 'auto', a.confidence);
    if (spotCheck() < SPOT_CHECK_SHARE)
      countLabel(feedback, {
        trueIndex: a.truth,
        predictedIndex: a.predicted,
        route: 'auto',
        confidence: a.confidence,
      });
  }
  const measured = all.filter((a) => a.truth === a.predicted).length / all.length;
  const estimates = estimateAccuracy(feedback.calibration!);
  const points = (x: number | null) => (x === null ? 'n/a' : (100 * Math.abs(x - measured)).toFixed(2));
  console.log(`quality.${name}measured_accuracy: ${(100 * measured).toFixed(2)} %`);
  console.log(`quality.${name}estimated_accuracy_abs_err: ${points(estimates.labelFree.estimate)} pts`);
  console.log(
    `quality.${name}calibrated_estimate_abs_err: ${points(estimates.calibrated?.estimate ?? null)} pts`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'ef-bench-quality-'));
try {
  console.log(
    `# ${IMAGES} demo images, ${SPOT_CHECK_SHARE * 100} % labelled; load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
  );
  judge('', await answers(CLS_MODEL_PATH, '1.0.0'));
  // The demo's worse candidate (output bias patched): confident and wrong, which a label-free estimate cannot see.
  const worse = join(dir, 'worse.onnx');
  writeFileSync(worse, shiftConstant(readFileSync(CLS_MODEL_PATH), 'fc_0.b_0', [6, -6]));
  judge('biased_candidate.', await answers(worse, '1.2.0'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
