/** The strategy suite (./strategy-suite.ts) run against the park strategy. */

import { strategySuite } from './strategy-suite.js';

strategySuite('park');
