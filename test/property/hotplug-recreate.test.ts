/** Random concurrent hotplug and park operations under the recreate strategy (the property: ./hotplug.ts). */

import { hotplugPropertySuite } from './hotplug.js';

hotplugPropertySuite('recreate');
