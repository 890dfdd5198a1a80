// Scenario 7: the main entry plus sessionlog/react, its peer dependencies external (the app has them).
export * from '../../src/index.js';
export * from '../../src/react/index.js';
