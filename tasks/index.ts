/** Idempotent task primitives: each reads state, plans changes as data, applies them (lib/resource.ts). */
export { file, fileResource } from './file.js';
export type { FileOptions } from './file.js';
export { converge } from '../lib/resource.js';
export type { Resource, Change } from '../lib/resource.js';
export { template, renderTemplate } from './template.js';
export type { TemplateOptions } from './template.js';
