// Scenario 7: the main entry plus sessionlog/assistant-ui, its peer dependencies external (the app has them).

export * from '../../src/assistant-ui/index.js';
export * from '../../src/index.js';
