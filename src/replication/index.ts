/** The data-plane replication core: pure primary, follower and controller decisions for one shard. */
export * from './types.js';
export * from './limits.js';
export * from './log.js';
export * from './follower.js';
export * from './primary.js';
export * from './controller.js';
