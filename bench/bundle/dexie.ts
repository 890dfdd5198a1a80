// Scenario 7: Dexie (whole API: a Dexie app imports the class, which carries everything).
export * from 'dexie';
export { default } from 'dexie';
