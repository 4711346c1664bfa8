/** The strategy suite (./strategy-suite.ts) run against the percpu-rwsem strategy. */

import { strategySuite } from './strategy-suite.js';

strategySuite('percpu-rwsem');
