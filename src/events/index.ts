export * from './ids.js';
export * from './schema.js';
