export * from './errors.js';
export * from './logger.js';
export * from './record.js';
export * from './sink/contract.js';
export * from './client/types.js';
export * from './source/types.js';
