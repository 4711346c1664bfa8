/**
 * One machine process: a ClusterNode until SIGTERM (down(), close(), exit 143) or SIGINT
 * (130). When forked with an IPC channel, it also takes the node's calls as MachineRequests
 * and answers each (machine-protocol.ts); `close` ends the process once the node is closed.
 */

import { errorCode } from '../common/errors.js';
import { errorText } from '../controller/arguments.js';
import { closeThenExit } from './exit.js';
import { ClusterNode } from './node.js';
import { DEFAULT_DOWN_TIMEOUT_MS } from './options.js';
import type { ClusterNodeOptions } from './options.js';
import { isMachineRequest, type MachineMessage, type MachineRequest } from './machine-protocol.js';

export async function runMachine(options: ClusterNodeOptions, say: (line: string) => void): Promise<ClusterNode> {
  const node = await ClusterNode.start({ ...options, exitOnSignal: true });
  const send = process.send?.bind(process);
  if (send !== undefined) {
    process.on('message', (message: unknown) => {
      if (isMachineRequest(message)) void answer(node, message).then((reply) => send(reply));
    });
    // The parent going away ends the machine as a SIGTERM would: down, close, exit.
    process.on('disconnect', () => closeThenExit(() => node.close(), 143, options.downTimeoutMs ?? DEFAULT_DOWN_TIMEOUT_MS));
    send({ type: 'ready', name: node.name, pid: process.pid, cpus: node.runtime.cpuCount } satisfies MachineMessage);
  }
  say(`machine ${node.name} takes jobs from queue ${node.queue} with ${node.runtime.onlineCpus().length} CPUs; SIGTERM (or Ctrl-C) drains it and exits`);
  return node;
}

async function answer(node: ClusterNode, request: MachineRequest): Promise<MachineMessage> {
  try {
    switch (request.op) {
      case 'cpuDown':
        await node.cpuDown(request.cpu);
        break;
      case 'cpuUp':
        await node.cpuUp(request.cpu);
        break;
      case 'down':
        await node.down();
        break;
      case 'up':
        await node.up();
        break;
      case 'stats':
        break;
      case 'close': {
        const stats = node.stats();
        await node.close();
        setImmediate(() => process.exit(0));
        return { type: 'reply', id: request.id, ok: true, stats: { ...stats, state: 'closed', running: 0 } };
      }
    }
    return { type: 'reply', id: request.id, ok: true, stats: node.stats() };
  } catch (error) {
    return { type: 'reply', id: request.id, ok: false, code: errorCode(error), message: errorText(error) };
  }
}
