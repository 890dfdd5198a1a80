// Scenario 7: the main entry of sessionlog, with its dependencies (idb, @noble/hashes).
export * from '../../src/index.js';
