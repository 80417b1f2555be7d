export type { LogItem } from '../../store/types.js';
export * from './follow.js';
export * from './records.js';
export * from './scheduler.js';
export * from './summary.js';
export * from './types.js';
export * from './usage.js';
export * from './view.js';
