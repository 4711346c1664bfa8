/**
 * comlink endpoints over Node's worker_threads ports, for both ends of the control plane.
 */

import type { MessagePort, Worker } from 'node:worker_threads';
import type { Endpoint } from 'comlink';
import nodeAdapter from 'comlink/dist/umd/node-adapter.js';

// comlink's UMD node adapter sets module.exports to the function itself, while its typings
// declare it as the default export; under Node's ESM-from-CJS interop the import is the function.
const nodeEndpoint = nodeAdapter as unknown as typeof nodeAdapter.default;

export function endpointOf(port: MessagePort | Worker): Endpoint {
  return nodeEndpoint(port as unknown as Parameters<typeof nodeEndpoint>[0]);
}
