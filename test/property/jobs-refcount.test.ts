/** Invariant 4 as a property under the refcount strategy (the property: ./jobs.ts). */

import { jobPropertySuite } from './jobs.js';

jobPropertySuite('refcount');
