import { defineConfig } from 'vitest/config';

// End-to-end tests: headless Chromium (Debian's, via playwright-core) against
// the built UI served by `vite preview`, with the in-memory fake backend.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
