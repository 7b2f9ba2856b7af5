// `pnpm bench` for @edgefleet/shared: every figure is printed as `name: value unit`,
// each next to the raw baseline measured in the same run.
import { benchAlerts } from './alerts';
import { benchFeatures } from './features';
import { benchSketches } from './sketches';

await benchFeatures();
await benchSketches();
await benchAlerts();
