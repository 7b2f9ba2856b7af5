import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CLS_MODEL_PATH, CLS_PREPROCESSING, clsBaseline, type TestServer } from '../testing/harness';

// Shared by the rollout tests and the bench: registers real cls versions through the API.

/** Uploads the cls model once and registers `cls@<version>` for each version, with the small test baseline. */
export async function registerClsVersions(t: Pick<TestServer, 'call'>, versions: string[]): Promise<void> {
  const model = readFileSync(CLS_MODEL_PATH);
  const sha256 = createHash('sha256').update(model).digest('hex');
  const upload = await t.call('/api/v1/artifacts?kind=model', {
    method: 'POST',
    body: new Uint8Array(model),
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (upload.status !== 201 && upload.status !== 200) throw new Error(`upload: ${upload.status}`);
  for (const version of versions) {
    const res = await t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: {
        name: 'cls',
        version,
        sha256,
        sizeBytes: model.length,
        preprocessing: CLS_PREPROCESSING,
        baseline: clsBaseline(),
        lineage: { createdBy: 'test' },
      },
    });
    if (res.status !== 201) throw new Error(`register cls@${version}: ${res.status} ${await res.text()}`);
  }
}
