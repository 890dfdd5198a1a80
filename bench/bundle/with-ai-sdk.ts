// Scenario 7: the main entry plus sessionlog/ai-sdk, its peer dependencies external (the app has them).

export * from '../../src/ai-sdk/index.js';
export * from '../../src/index.js';
