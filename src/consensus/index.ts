/** Public surface of the Raft core for the cluster layer. */
export { RaftNode } from './raft.js';
export type { Ready, RaftOptions, RaftStatus, RaftTestHooks, ProposeResult, RequestResult, Refusal } from './raft.js';
export { MemoryStorage } from './storage.js';
export type { Storage } from './storage.js';
export { DEFAULT_RAFT_CONFIG, validateRaftConfig } from './limits.js';
export type { RaftConfig } from './limits.js';
export * from './types.js';
