/** Ajv's class and its standalone code generator (bundled by the build: ./README.md). */
import AjvModule from 'ajv';
import StandaloneModule from 'ajv/dist/standalone/index.js';

// Ajv is CommonJS that also sets `exports.default`: Node's ESM loader gives the module object
// (whose `default` is the export), esbuild's bundle the export itself (whose `default` is itself
// for the class; for standaloneCode, esbuild's interop object). `.default` is right either way.
type AjvClass = typeof AjvModule.default;
type StandaloneCode = typeof StandaloneModule.default;
const Ajv: AjvClass = (AjvModule as unknown as { default: AjvClass }).default;
export const standaloneCode: StandaloneCode = (StandaloneModule as unknown as { default: StandaloneCode })
  .default;
export default Ajv;
