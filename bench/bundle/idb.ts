// Scenario 7: idb, the thin promise wrapper sessionlog is built on (whole API).
export * from 'idb';
