/** The strategy suite (./strategy-suite.ts) run against the refcount strategy. */

import { strategySuite } from './strategy-suite.js';

strategySuite('refcount');
