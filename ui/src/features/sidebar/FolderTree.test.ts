import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { typicalFolders } from '../../ipc/fake';
import FolderTree from './FolderTree.svelte';
import { defaultFolder, treeRows } from './tree';

function setup(selectedPath: string | null = 'INBOX') {
  const onselect = vi.fn();
  render(FolderTree, {
    props: { folders: typicalFolders(), label: 'Ada Lovelace', idPrefix: 't', selectedPath, onselect },
  });
  const tree = screen.getByRole('tree', { name: 'Ada Lovelace' });
  return { onselect, tree, item: (name: string) => within(tree).getByRole('treeitem', { name }) };
}

describe('treeRows', () => {
  it('orders special-use folders first, then by name, children under their parent', () => {
    const rows = treeRows(typicalFolders());
    expect(rows.map((r) => `${r.level}:${r.folder.name}`)).toEqual([
      '1:Inbox', '1:Drafts', '1:Sent', '1:Archive', '1:Junk', '1:Trash',
      '1:Entwürfe', '1:Receipts', '1:Work', '2:Projects', '3:Tern',
    ]);
    expect(rows.find((r) => r.folder.name === 'Work')).toMatchObject({ hasChildren: true, expanded: true });
  });

  it('hides the children of collapsed folders', () => {
    const rows = treeRows(typicalFolders(), new Set(['Work']));
    expect(rows.map((r) => r.folder.name)).not.toContain('Projects');
  });

  it('shows a folder whose parent is missing at the top level', () => {
    const orphan = { ...typicalFolders()[0]!, path: 'Lost/Child', name: 'Child', parent: 'Lost', depth: 1, role: null };
    expect(treeRows([orphan])[0]?.level).toBe(1);
  });

  it('picks the inbox as the default folder', () => {
    expect(defaultFolder(typicalFolders())?.path).toBe('INBOX');
    expect(defaultFolder(typicalFolders().filter((f) => f.role !== 'inbox'))?.name).toBe('Drafts');
    expect(defaultFolder([])).toBeNull();
  });
});

describe('folder tree', () => {
  it('exposes a tree with levels, positions and selection', () => {
    const { tree, item } = setup();
    const items = within(tree).getAllByRole('treeitem');
    expect(items).toHaveLength(11);
    expect(item('Inbox')).toHaveAttribute('aria-selected', 'true');
    expect(item('Inbox')).toHaveAttribute('tabindex', '0');
    expect(item('Drafts')).toHaveAttribute('aria-selected', 'false');
    expect(item('Drafts')).toHaveAttribute('tabindex', '-1');
    expect(item('Work')).toHaveAttribute('aria-level', '1');
    expect(item('Projects')).toHaveAttribute('aria-level', '2');
    expect(item('Tern')).toHaveAttribute('aria-level', '3');
    expect(item('Inbox')).toHaveAttribute('aria-posinset', '1');
    expect(item('Inbox')).toHaveAttribute('aria-setsize', '9');
    expect(item('Entwürfe')).toBeInTheDocument();
  });

  it('labels special-use icons and describes the item with them', () => {
    const { item } = setup();
    // The description is the icon's label (jsdom does not compute descriptions from SVG, so check the wiring).
    const icon = document.getElementById(item('Sent').getAttribute('aria-describedby') ?? '');
    expect(icon).toHaveAttribute('role', 'img');
    expect(icon).toHaveAttribute('aria-label', 'Sent mail');
    expect(item('Sent')).toHaveAccessibleName('Sent');
    expect(within(item('Trash')).getByRole('img', { name: 'Trash' })).toBeInTheDocument();
    expect(item('Receipts')).not.toHaveAttribute('aria-describedby');
    expect(within(item('Receipts')).queryByRole('img')).toBeNull();
  });

  it('selects a folder on click', async () => {
    const { onselect, item } = setup();
    await fireEvent.click(item('Archive'));
    expect(onselect).toHaveBeenCalledWith(expect.objectContaining({ path: 'Archive' }));
  });

  it('dims folders that only hold other folders and never selects them', async () => {
    const { onselect, item } = setup();
    expect(item('Work')).toHaveAttribute('aria-disabled', 'true');
    expect(item('Work')).toHaveClass('disabled');
    await fireEvent.click(item('Work'));
    await fireEvent.keyDown(item('Work'), { key: 'Enter' });
    expect(onselect).not.toHaveBeenCalled();
  });

  it('moves with the arrow keys and selects with Enter', async () => {
    const { onselect, item } = setup();
    item('Inbox').focus();
    await fireEvent.keyDown(item('Inbox'), { key: 'ArrowDown' });
    await Promise.resolve();
    expect(document.activeElement).toBe(item('Drafts'));
    expect(item('Drafts')).toHaveAttribute('tabindex', '0');
    await fireEvent.keyDown(item('Drafts'), { key: 'End' });
    await Promise.resolve();
    expect(document.activeElement).toBe(item('Tern'));
    await fireEvent.keyDown(item('Tern'), { key: 'ArrowLeft' });
    await Promise.resolve();
    expect(document.activeElement).toBe(item('Projects'));
    await fireEvent.keyDown(item('Projects'), { key: ' ' });
    expect(onselect).toHaveBeenCalledWith(expect.objectContaining({ path: 'Work/Projects' }));
  });

  it('collapses and expands with the arrow keys', async () => {
    const { tree, item } = setup();
    expect(item('Work')).toHaveAttribute('aria-expanded', 'true');
    await fireEvent.keyDown(item('Work'), { key: 'ArrowLeft' });
    expect(item('Work')).toHaveAttribute('aria-expanded', 'false');
    expect(within(tree).queryByRole('treeitem', { name: 'Projects' })).toBeNull();
    await fireEvent.keyDown(item('Work'), { key: 'ArrowRight' });
    expect(item('Projects')).toBeInTheDocument();
    expect(item('Inbox')).not.toHaveAttribute('aria-expanded');
  });
});
