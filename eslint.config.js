// One lint configuration for the whole tree: typescript-eslint's recommended rules, with
// formatting left to Prettier (eslint-config-prettier turns off the rules that would fight it).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '**/.novastation/**',
      'bench/results/**',
      'test/inventory/corpus/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Roles and the engine handle untyped YAML and API answers; `any` is allowed where it is
      // deliberate, but unused code is not.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-control-regex': 'off',
      // Our wrapped errors carry the cause's message in their own text (users read messages, not
      // cause chains), and initialising before a try/catch is clearer than the rule allows.
      'preserve-caught-error': 'off',
      'no-useless-assignment': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
);
