/**
 * `sessionlog/reference`: the Rust reference's JSON shapes (its projection,
 * its event lines). Kept out of the main entry: a chat UI's main path does not
 * need it. This file only re-exports.
 */
export {
  parseReferenceProjection,
  type ReferenceMessage,
  type ReferenceProjection,
  referenceJson,
  toReferenceEventJson,
  toReferenceProjection,
} from '../reference.js';
