/** The real backend: Tauri commands implemented in `src-tauri/src/commands/`. */
import { invoke } from '@tauri-apps/api/core';
import { BackendError, type Backend } from './backend';
import type { Account, AppInfo, Folder, NewAccountRequest } from './bindings';

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    // Commands reject with the serialized `CommandError`.
    throw BackendError.from(reason);
  }
}

export const tauriBackend: Backend = {
  appInfo: () => call<AppInfo>('app_info'),
  listAccounts: () => call<Account[]>('list_accounts'),
  addAccount: (request: NewAccountRequest) => call<Account>('add_account', { request }),
  removeAccount: (accountId: string) => call<void>('remove_account', { accountId }),
  cachedFolders: (accountId: string) => call<Folder[]>('cached_folders', { accountId }),
  refreshFolders: (accountId: string) => call<Folder[]>('refresh_folders', { accountId }),
};
