import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { preview } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

/**
 * The app's Content Security Policy (tauri.conf.json): the built UI must run under it. Messages
 * open in frames: the app's come from its `tern-part:` scheme, the fake's are `data:` documents.
 */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src data:; object-src 'none'; base-uri 'none'; form-action 'none'";

const root = fileURLToPath(new URL('..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Serves `dist/` on a free loopback port for the duration of the run. */
export default async function setup(project: TestProject) {
  if (!existsSync(`${root}/dist/index.html`)) throw new Error('dist/ is missing: run `npm run build` first');
  const port = await freePort();
  const server = await preview({
    root,
    configFile: false,
    logLevel: 'warn',
    build: { outDir: 'dist' },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false, headers: { 'Content-Security-Policy': CSP } },
  });
  project.provide('baseUrl', `http://127.0.0.1:${port}/`);
  return async () => {
    await server.close();
  };
}
