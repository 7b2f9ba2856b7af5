// Drops inspection images into an agent's watched folder, as a station's camera software would.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectionImage } from '../../demo/src/images';

/** The scene a feeder shoots: as in the reference set, or under a failing lamp. */
export type Scene = 'healthy' | 'drifted';

/** Brightness shift of the drifted scene (0…255 pixel values). */
export const DRIFT_BRIGHTNESS = -110;

/** PNG pools per scene, generated once (seeds apart from the reference set's). */
export interface ImagePools {
  healthy: Buffer[];
  drifted: Buffer[];
}

/** Generates `size` healthy and `size` drifted images from seeds starting at `firstSeed`. */
export async function imagePools(size: number, firstSeed: number): Promise<ImagePools> {
  const seeds = Array.from({ length: size }, (_, i) => firstSeed + i);
  const [healthy, drifted] = await Promise.all([
    Promise.all(seeds.map((s) => inspectionImage(s))),
    Promise.all(seeds.map((s) => inspectionImage(s, { brightness: DRIFT_BRIGHTNESS }))),
  ]);
  return { healthy, drifted };
}

/** A feeder writing one image every `intervalMs` (temp name, then rename: the agent never sees half a file). */
export interface Feeder {
  dir: string;
  scene: Scene;
  /** Images written so far, per scene. */
  written: Record<Scene, number>;
  stop(): void;
}

/** Starts feeding `dir`. */
export function startFeeder(
  dir: string,
  pools: ImagePools,
  intervalMs: number,
  scene: Scene = 'healthy',
): Feeder {
  let n = 0;
  const feeder: Feeder = {
    dir,
    scene,
    written: { healthy: 0, drifted: 0 },
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(() => {
    const pool = pools[feeder.scene];
    const name = `img-${String(n).padStart(6, '0')}-${feeder.scene}.png`;
    writeFileSync(join(dir, `${name}.part`), pool[n % pool.length]!);
    renameSync(join(dir, `${name}.part`), join(dir, name));
    feeder.written[feeder.scene]++;
    n++;
  }, intervalMs);
  return feeder;
}

/** The `<image>.json` results an agent wrote into `outDir`, parsed. */
export function readResults(outDir: string): { file: string; model: { version: string } }[] {
  return readdirSync(outDir)
    .filter((name) => name.endsWith('.png.json'))
    .sort()
    .map(
      (name) =>
        JSON.parse(readFileSync(join(outDir, name), 'utf8')) as { file: string; model: { version: string } },
    );
}
