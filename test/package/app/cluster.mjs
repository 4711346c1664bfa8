// cpuhp/cluster from an installed package: one machine and a producer on the Redis at
// process.argv[2], running the app's own compiled job module (dist/jobs.js), then shut down.
import { ClusterNode, ClusterQueue } from 'cpuhp/cluster';

const [redis, queue] = process.argv.slice(2);
const node = await ClusterNode.start({ redis, queue, runtime: { cpus: 2, modules: [new URL('./dist/jobs.js', import.meta.url)] }, exitOnSignal: false });
const producer = await ClusterQueue.connect({ redis, queue });
const results = await Promise.all([1, 2, 3].map((n) => producer.run('square', { n })));
await node.cpuDown(1);
const afterDown = await producer.run('square', { n: 4 });
await producer.close();
await node.close();
console.log(JSON.stringify({ squares: results.map((r) => r.square), afterDown: afterDown.square, state: node.stats().state }));
