/** Invariant 4 as a property under the park strategy (the property: ./jobs.ts). */

import { jobPropertySuite } from './jobs.js';

jobPropertySuite('park');
