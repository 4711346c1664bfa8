/** Random concurrent hotplug and park operations under the park strategy (the property: ./hotplug.ts). */

import { hotplugPropertySuite } from './hotplug.js';

hotplugPropertySuite('park');
