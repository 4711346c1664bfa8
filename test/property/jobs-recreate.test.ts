/** Invariant 4 as a property under the recreate strategy (the property: ./jobs.ts). */

import { jobPropertySuite } from './jobs.js';

jobPropertySuite('recreate');
