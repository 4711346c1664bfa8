/** The strategy suite (./strategy-suite.ts) run against the recreate strategy. */

import { strategySuite } from './strategy-suite.js';

strategySuite('recreate');
