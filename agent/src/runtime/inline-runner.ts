import * as ort from 'onnxruntime-node';
import type { ModelRunner, ModelSignature, SessionOptions } from './runner';
import { ortSessionOptions } from './runner';
import { type AgentTensor, fromOrtTensor, toOrtTensor } from './tensor';

/** Runs the model on the agent's JS thread: `session.run` holds it for the whole inference. */
export class InlineRunner implements ModelRunner {
  readonly placement = 'inline';
  readonly signature: ModelSignature;

  private constructor(private readonly session: ort.InferenceSession) {
    this.signature = {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      inputShapes: new Map(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.shape : []])),
    };
  }

  static async create(modelPath: string, options: SessionOptions): Promise<InlineRunner> {
    return new InlineRunner(await ort.InferenceSession.create(modelPath, ortSessionOptions(options)));
  }

  async run(feeds: Record<string, AgentTensor>): Promise<Record<string, AgentTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
    const out = await this.session.run(ortFeeds);
    const result: Record<string, AgentTensor> = {};
    for (const name of this.signature.outputNames) result[name] = fromOrtTensor(out[name]!);
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
