/**
 * The seeded PRNG is load/social-graph/seeded-random.ts: the load tools seed their graphs with it,
 * and load never imports test/.
 */
export { seededRandom } from '../../load/social-graph/seeded-random.js';
