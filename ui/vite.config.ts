/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Tauri sets TAURI_ENV_PLATFORM and TAURI_ENV_DEBUG when it runs the build.
const platform = process.env.TAURI_ENV_PLATFORM;
const debug = !!process.env.TAURI_ENV_DEBUG;

export default defineConfig({
  plugins: [svelte()],
  // Keep the Rust compiler's output visible when `tauri dev` runs Vite.
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    watch: { ignored: ['**/src-tauri/**'] },
  },
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  build: {
    // WebView2 on Windows is Chromium; WebKitGTK / WKWebView need Safari 15.
    target: platform === 'windows' ? 'chrome105' : ['es2021', 'safari15'],
    minify: debug ? false : 'oxc',
    sourcemap: debug,
    outDir: 'dist',
    emptyOutDir: true,
    // The CSP has no room for inline scripts or data: fonts.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    setupFiles: ['./tests/setup.ts'],
  },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
});
