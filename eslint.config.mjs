import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', '.cache/**', 'dist-check/**', 'node_modules/**', 'training/**', 'models/**', 'coverage/**', 'var/**', '**/*.js', '!bin/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: ['bin/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // Test fixtures (src/testing) and the bench (src/bench) are not part of the product build (tsconfig.build.json).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/testing/**', 'src/bench/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/testing/*', '**/bench/*'], message: 'src/testing and src/bench are not shipped; product code must not import them.' }] }] },
  },
);
