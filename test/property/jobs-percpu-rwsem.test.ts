/** Invariant 4 as a property under the percpu-rwsem strategy (the property: ./jobs.ts). */

import { jobPropertySuite } from './jobs.js';

jobPropertySuite('percpu-rwsem');
