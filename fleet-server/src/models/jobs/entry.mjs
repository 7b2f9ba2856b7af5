// Entry of a model job process: the package ships TypeScript, so tsx loads job.ts (as bin/edgefleet.js does).
import { register } from 'tsx/esm/api';

register();
await import('./job.ts');
