/**
 * `baseline`: `steady` (same population, graph, clients and update pattern) against plain
 * socket.io (load/baseline/baseline-server.ts: rooms per friend, one `io.to(room).emit` per
 * update), one process. What socket.io alone does on this machine, to read graph-presence's
 * `steady` figures against (`npm run load -- steady --baseline` runs both and prints the ratio).
 */
import type { Scenario } from './scenario.js';
import { steady } from './steady.js';

export const baseline: Scenario = {
  ...steady,
  name: 'baseline',
  summary: 'steady against plain socket.io rooms (1 process): the yardstick for steady',
  server: 'baseline',
  defaults: { ...steady.defaults, nodes: 1 },
};
