/**
 * The seeded generator and the hostile values every test data set is made from: the sink test kit's records and
 * the Qualys simulator's images. A package with no dependencies, so the simulator (which ships in the CLI) and the
 * test kit (which needs core and vitest) can both use it without a dependency cycle.
 */
export { createRandom, hashString, Prng, type Random } from './prng.js';
export { HOSTILE_VALUES } from './values.js';
