/** Idempotent task primitives: each reads state, plans changes as data, applies them (lib/resource.ts). */
export { file, fileResource } from './file.js';
export type { FileOptions } from './file.js';
export { converge } from '../lib/resource.js';
export type { Resource, Change } from '../lib/resource.js';
export { template, renderTemplate } from './template.js';
export type { TemplateOptions } from './template.js';
export { command, commandAction } from './command.js';
export type { CommandOptions, CommandOutcome, CommandRun } from './command.js';
export type { CommandSpec } from './command-line.js';
export { waitFor, WaitTimeoutError } from './wait-for.js';
export type { WaitForOptions, WaitForPort, WaitForPath, WaitForCommand, WaitForHost } from './wait-for.js';
export { reboot, rebootAction } from './reboot.js';
export type { RebootOptions } from './reboot.js';
export { convergeAction } from './action.js';
export type { Action } from './action.js';
