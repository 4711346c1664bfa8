/** The trivial workload as a piscina task file: piscina runs a module's default export. */

export { increment as default } from './work.js';
