/** Random concurrent hotplug and park operations under the percpu-rwsem strategy (the property: ./hotplug.ts). */

import { hotplugPropertySuite } from './hotplug.js';

hotplugPropertySuite('percpu-rwsem');
