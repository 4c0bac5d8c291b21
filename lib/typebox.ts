/**
 * TypeBox's type builder, as the engine and roles use it. The build replaces this module's
 * compiled output with one esbuild bundle of it (scripts/bundle-typebox.mjs): TypeBox ships as
 * ~270 small ES modules, and loading them one by one cost the CLI's start about as much as the
 * whole rest of lib/. Types still come from '@sinclair/typebox'; its kinds are global symbols,
 * so schemas built with a user's own copy of TypeBox work the same.
 */
export { Type } from '@sinclair/typebox';
