/** The public surface of graph-presence. */
export * from './errors.js';
export { VERSION } from './version.js';
