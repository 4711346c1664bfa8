/** Random concurrent hotplug and park operations under the refcount strategy (the property: ./hotplug.ts). */

import { hotplugPropertySuite } from './hotplug.js';

hotplugPropertySuite('refcount');
