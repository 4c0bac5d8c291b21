/** The diff package's unified diff, for `--diff` (bundled by the build: ./README.md). */
export { createTwoFilesPatch } from 'diff';
