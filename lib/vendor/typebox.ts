/**
 * TypeBox, as the engine, the primitives and roles use it at run time (bundled by the build: see
 * ./README.md). Types still come from '@sinclair/typebox'; its kinds are global symbols, so
 * schemas built with a user's own copy of TypeBox work the same. Everything with state
 * (TypeRegistry, FormatRegistry) must come from here, or a format registered in one copy would be
 * unknown to the checker of the other.
 */
export { FormatRegistry, Kind, Type, TypeRegistry } from '@sinclair/typebox';
export { Value, ValueErrorType } from '@sinclair/typebox/value';
