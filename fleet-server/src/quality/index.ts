import type { ServerContext } from '../context';
import { routesOnly, type ServerPart } from '../part';
import { registerQualityRoutes } from './routes';

export { proportion, QUALITY_CONFIDENCE, qualityOf, sumFeedback } from './quality';

/** Quality: measured accuracy of a version from the operator labels its clients aggregate. */
export function createQuality(ctx: ServerContext): ServerPart {
  return routesOnly('quality', (app) => registerQualityRoutes(app, ctx));
}
