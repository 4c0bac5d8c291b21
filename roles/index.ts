/** The site's roles, one folder each under roles/; names kebab-case, exports camelCase. */
export { base } from './base/index.js';
