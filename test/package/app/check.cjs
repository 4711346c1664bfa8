// The installed package from CommonJS (test/package/install.test.ts): require() of both entry
// points, and a runtime started with the app's compiled job module. Prints one JSON line.
'use strict';

const path = require('node:path');
const cpuhp = require('cpuhp');
const kthread = require('cpuhp/kthread');

async function main() {
  let refused = null;
  try {
    kthread.defineJob(42);
  } catch (error) {
    // The two entry points share one module graph: cpuhp/kthread's error is cpuhp's ConfigError.
    refused = { configError: error instanceof cpuhp.ConfigError, code: error.code };
  }
  const rt = await cpuhp.Runtime.start({ cpus: 2, modules: [path.join(__dirname, 'dist', 'jobs.js')] });
  try {
    const result = await rt.queueWork('square', { n: 12 });
    console.log(
      JSON.stringify({
        kthreadExports: Object.keys(kthread).sort(),
        runtime: typeof cpuhp.Runtime.start,
        refused,
        square: result.square,
        version: require('cpuhp/package.json').version,
      }),
    );
  } finally {
    await rt.shutdown();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
