export { type Config, type ConfigInput, loadConfig, resolveConfig } from './config';
export type { Endpoints, ServerContext } from './context';
export { type DatasetVerifyReport, verifyDatasetArchive } from './datasets/verify';
export { type FleetDatabase, type FleetDb, openDatabase } from './db';
export * from './errors';
export {
  formatSelector,
  matchesSelector,
  parseSelector,
  type Requirement,
  type Selector,
} from './labels/selector';
export {
  type Component,
  type RunningServer,
  type ServerPart,
  type ServerParts,
  type StartOptions,
  startServer,
} from './server';
export { type ByteSource, bufferSource, readTarEntries, type TarEntry } from './tar/reader';
export { TAR_BLOCK, tarHeader } from './tar/writer';
