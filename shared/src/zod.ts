// The one zod every contract schema in shared is written with: zod/mini (functions and `.check(…)`, no methods
// such as `.optional()` or `.max()`), so that a browser bundle that imports a schema does not carry zod classic
// (~18 kB gzipped more). Schemas parse the same either way; classic code elsewhere may wrap them
// (`z.optional(idSchema)`, `z.object({ ...schema.shape })`). The English messages are loaded here because
// zod/mini, unlike classic, loads no locale by itself.
import { en } from 'zod/locales';
import * as z from 'zod/mini';

z.config(en());

export { z };
