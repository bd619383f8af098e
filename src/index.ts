/** The public surface of graph-presence. */
export * from './errors.js';
export * from './gateway/index.js';
export * from './server/index.js';
export { VERSION } from './version.js';
