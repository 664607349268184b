import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Tests import the libs as users do, `@rampart/<lib>`, resolved to their sources.
const libs = readdirSync(new URL('./libs', import.meta.url));
const alias = Object.fromEntries(
  libs.map((lib) => [`@rampart/${lib}`, fileURLToPath(new URL(`./libs/${lib}/src/index.ts`, import.meta.url))]),
);

export default defineConfig({
  // SWC emits the decorator metadata Nest's dependency injection reads; Vite's default transform does not.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias },
  test: {
    include: ['libs/*/src/**/*.spec.ts', 'test/**/*.e2e-spec.ts', 'test/**/*.spec.ts'],
    // Fixture apps carry their own specs: they run inside the generated app (test/schematics.e2e-spec.ts).
    exclude: ['**/node_modules/**', 'test/fixtures/**'],
    globalSetup: ['test/utils/global-setup.ts'],
    // VITEST_REPORT names another report file: CI's threat-mode runs keep the main report intact.
    reporters: ['default', ['json', { outputFile: process.env.VITEST_REPORT ?? '.vitest-report.json' }]],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
