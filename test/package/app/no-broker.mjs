// cpuhp/cluster imported where bullmq and ioredis are not installed: the import works, and
// making a queue says what to install.
import { ClusterQueue } from 'cpuhp/cluster';

const error = await ClusterQueue.connect({ redis: 'redis://127.0.0.1:6379', queue: 'jobs' }).catch((e) => e);
console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }));
