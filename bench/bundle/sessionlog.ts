// Scenario 7: the whole public API of sessionlog, with its dependencies (idb, @noble/hashes, immer).
export * from '../../src/index.js';
