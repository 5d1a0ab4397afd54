// ESLint over the TypeScript sources (src/, test/) and the Node scripts (bin/, scripts/, bench/), with
// typescript-eslint's type-aware rules: they see the types tsc sees, so they catch what tsc lets
// through (a promise nobody awaits, an async callback where a sync one is expected, a switch that
// misses a case of a union). `npm run lint`; a full scripts/run-tests.mjs run starts with it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'test/fixtures/', 'test/cli-golden/'] },
  { files: ['**/*.ts', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        // The .ts files belong to tsconfig.json; the .mjs scripts, which tsc does not build, get
        // a default project with the same compiler options.
        projectService: {
          allowDefaultProject: ['eslint.config.js', 'bin/*.mjs', 'scripts/*.mjs', 'bench/*.mjs'],
          defaultProject: 'tsconfig.json',
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The promise rules come with recommendedTypeChecked and are stated for their options and
      // because a daemon full of async work is where they matter; the others are from
      // strictTypeChecked (or on their own), picked for the bugs they catch here.
      // node:test's test(), describe() and it() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      // A switch with a `default:` handles the rest on purpose; one without must name every case.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      // Passing on a caught `unknown` (catch (e) { reject(e) }) is right, as only-throw-error allows.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // `async` without `await` is how this code implements an async interface (CommandDef.run,
      // the client fakes in tests): a synchronous throw becomes a rejection. A forgotten await,
      // the bug require-await aims at, is no-floating-promises's to find.
      '@typescript-eslint/require-await': 'off',
      // `const { address: _address, ...rest } = x` is how a property is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // The CLI's and virsh's tables are fixed-width: the tests match them with the spaces as
      // printed, which reads against the golden output better than ` {13}`.
      'no-regex-spaces': 'off',
    },
  },
  {
    // Plain JavaScript has no annotations, so everything from JSON.parse or from the untyped
    // dist/ modules is `any`: the no-unsafe-* rules would flag every use of it.
    files: ['**/*.mjs', '**/*.js'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Its premise is that types say what may be missing. Inferred JS types do not: a variable
      // set in a callback, or a property added to `{}` later, reads as never undefined.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
);
