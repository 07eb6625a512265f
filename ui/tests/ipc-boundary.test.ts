// @vitest-environment node
// Architecture invariant: only src/ipc/ may import @tauri-apps/*. The rest of
// the UI talks to the typed Backend interface, so it runs in a plain browser.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|js|svelte|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

const TAURI_IMPORT = /(?:from\s*|import\s*\(?\s*|require\s*\(\s*)['"]@tauri-apps\//;

it('only src/ipc/ imports @tauri-apps', () => {
  const offenders = files(src)
    .filter((path) => !relative(src, path).startsWith(`ipc${sep}`))
    .filter((path) => TAURI_IMPORT.test(readFileSync(path, 'utf8')))
    .map((path) => relative(src, path));
  expect(offenders).toEqual([]);
});

it('the check recognises every import form', () => {
  for (const line of [
    "import { invoke } from '@tauri-apps/api/core';",
    'import "@tauri-apps/api/event";',
    "const m = await import('@tauri-apps/api/window');",
    "export * from '@tauri-apps/api';",
  ]) {
    expect(TAURI_IMPORT.test(line), line).toBe(true);
  }
  expect(TAURI_IMPORT.test("import { backend } from '../ipc';")).toBe(false);
});

it('src/ipc/tauri.ts is where the bridge lives', () => {
  expect(TAURI_IMPORT.test(readFileSync(join(src, 'ipc', 'tauri.ts'), 'utf8'))).toBe(true);
});

it('bindings.ts carries the generated-file header', () => {
  const first = readFileSync(join(src, 'ipc', 'bindings.ts'), 'utf8').split('\n')[0];
  expect(first).toBe('// This file is generated from Rust by `cargo test -p tern bindings` (ts-rs). Do not edit.');
});
