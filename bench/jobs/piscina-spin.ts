/** The CPU-bound workload as a piscina task file: piscina runs a module's default export. */

export { spin as default } from './work.js';
