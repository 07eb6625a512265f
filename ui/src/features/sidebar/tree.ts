import type { Folder, FolderRole } from '../../ipc/backend';

/** One visible line of the folder tree. */
export interface TreeRow {
  folder: Folder;
  /** 1-based, for aria-level. */
  level: number;
  hasChildren: boolean;
  expanded: boolean;
  /** Position among its siblings (1-based) and their count, for aria-posinset / aria-setsize. */
  posinset: number;
  setsize: number;
}

/** Special-use folders first, in the order people look for them. */
const ROLE_ORDER: Record<FolderRole, number> = {
  inbox: 0,
  drafts: 1,
  sent: 2,
  archive: 3,
  all: 4,
  flagged: 5,
  junk: 6,
  trash: 7,
};

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

function compare(a: Folder, b: Folder): number {
  const ra = a.role ? ROLE_ORDER[a.role] : 100;
  const rb = b.role ? ROLE_ORDER[b.role] : 100;
  return ra - rb || collator.compare(a.name, b.name);
}

/**
 * Orders the server's flat folder list into a tree and returns the rows to
 * show, skipping the children of collapsed folders.
 */
export function treeRows(folders: readonly Folder[], collapsed: ReadonlySet<string> = new Set()): TreeRow[] {
  const paths = new Set(folders.map((f) => f.path));
  const children = new Map<string | null, Folder[]>();
  for (const folder of folders) {
    // A folder whose parent is missing from the list is shown at the top level.
    const parent = folder.parent !== null && paths.has(folder.parent) ? folder.parent : null;
    const list = children.get(parent) ?? [];
    list.push(folder);
    children.set(parent, list);
  }
  const rows: TreeRow[] = [];
  const walk = (parent: string | null, level: number) => {
    const siblings = (children.get(parent) ?? []).slice().sort(compare);
    siblings.forEach((folder, index) => {
      const hasChildren = (children.get(folder.path)?.length ?? 0) > 0;
      const expanded = hasChildren && !collapsed.has(folder.path);
      rows.push({ folder, level, hasChildren, expanded, posinset: index + 1, setsize: siblings.length });
      if (expanded) walk(folder.path, level + 1);
    });
  };
  walk(null, 1);
  return rows;
}

/** The folder to open when nothing is selected: the inbox, else the first selectable one. */
export function defaultFolder(folders: readonly Folder[]): Folder | null {
  return (
    folders.find((f) => f.role === 'inbox' && f.selectable) ??
    folders.find((f) => f.path.toUpperCase() === 'INBOX' && f.selectable) ??
    treeRows(folders).find((r) => r.folder.selectable)?.folder ??
    null
  );
}

export const ROLE_LABELS: Record<FolderRole, string> = {
  inbox: 'Inbox',
  drafts: 'Drafts',
  sent: 'Sent mail',
  archive: 'Archive',
  junk: 'Junk',
  trash: 'Trash',
  all: 'All mail',
  flagged: 'Flagged',
};

/** What the message list shows: one account's folder, or every account's inbox. */
export type Selection = { kind: 'folder'; accountId: string; folder: Folder } | { kind: 'allInboxes' };
