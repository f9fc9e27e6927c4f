export { startSimulator, type Fault, type QualysSimulator, type RateLimitBucket, type RequestLogEntry, type SimulatorOptions } from './server.js';
export { generateImages, HOSTILE_STRINGS, type GenerateOptions, type RawImage } from './data.js';
export { parseQql, QqlError } from './qql.js';
export { describeSimulator } from './describe.js';
