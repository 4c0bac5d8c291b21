/** The yaml package's parser and node tests, as the engine uses them (bundled by the build: ./README.md). */
export { Document, LineCounter, Scalar, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
