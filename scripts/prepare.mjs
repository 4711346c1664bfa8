// npm's `prepare` step: build dist/ with TypeScript, or say what to do where TypeScript is missing.
//
// npm runs `prepare` after `npm install` in a checkout, before `npm pack` and `npm publish`,
// when an app installs cpuhp from git (after installing cpuhp's devDependencies in a clone), and
// when an app installs a checkout by path (`npm install ../cpuhp`) — the one case where
// cpuhp's devDependencies are not installed first. Without this check that case, and `npm pack`
// in a checkout where `npm install` never ran, fail with the shell's bare `tsc: not found`.
// Plain JavaScript: it runs before anything is compiled. Not in the package: npm never runs
// `prepare` for a package installed from the registry or from a tarball.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

try {
  // Where `npm run build` would find tsc: this checkout's node_modules (or a parent directory's).
  createRequire(`${root}/package.json`).resolve('typescript/package.json');
} catch {
  process.stderr.write(
    `cpuhp: cannot build dist/ in ${root}: TypeScript, a devDependency of cpuhp, is not installed there.\n` +
      `Run \`npm install\` in ${root} first (it installs the devDependencies and builds dist/), then run this command again.\n` +
      'An app can also install cpuhp from the registry, or from a tarball that `npm pack` makes in a checkout where `npm install` ran.\n',
  );
  process.exit(1);
}

// npm sets npm_execpath for its scripts; run the build with the npm that runs this.
const npm = process.env.npm_execpath;
const build = npm === undefined ? spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: true }) : spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(build.status ?? 1);
