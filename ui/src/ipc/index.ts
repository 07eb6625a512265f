/**
 * Picks the backend: the Tauri IPC bridge inside the app, the in-memory fake
 * in a plain browser (development, tests).
 */
import type { Backend } from './backend';
import { createFakeBackend, fixtureFromUrl } from './fake';
import { tauriBackend } from './tauri';

export { BackendError, type Backend } from './backend';
export type * from './bindings';

function insideTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

export const backend: Backend = insideTauri()
  ? tauriBackend
  : createFakeBackend({ fixture: fixtureFromUrl(typeof window === 'undefined' ? '' : window.location.search) });
