import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { Settings } from '../src/ipc/bindings';
import type { FakeBackend } from '../src/ipc/fake';
import { launch, RESULTS_DIR } from './browser';

/** The fake backend the page runs on (see `src/ipc/index.ts`). */
type FakeWindow = { ternFake: FakeBackend };

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface Open {
  colorScheme?: 'light' | 'dark';
  reducedMotion?: 'reduce' | 'no-preference';
  width?: number;
  fixture?: string;
}

async function open(options: Open = {}): Promise<{ page: Page; errors: string[] }> {
  const { colorScheme = 'light', reducedMotion = 'no-preference', width = 1280, fixture = 'demo' } = options;
  const page = await browser.newPage({ viewport: { width, height: 800 }, colorScheme, reducedMotion });
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${inject('baseUrl')}?fixture=${fixture}`);
  await page.getByRole('treeitem', { name: 'Inbox', selected: true }).first().waitFor();
  await page.getByRole('listbox', { name: 'Messages' }).locator('[aria-posinset="1"] .row').waitFor();
  return { page, errors };
}

const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const luminance = (rgb: string) =>
  (rgb.match(/\d+/g) ?? [])
    .slice(0, 3)
    .map(Number)
    .reduce((a, b) => a + b, 0);
const isDark = async (page: Page) => luminance(await background(page)) < 3 * 80;
const width = async (locator: Locator) => Math.round((await locator.boundingBox())!.width);

async function openSettings(page: Page): Promise<Locator> {
  await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('heading', { name: 'Appearance' }).waitFor();
  return dialog;
}

test('the splitters resize the panes by mouse and keyboard, and the widths are back after a restart', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(10_000);
  // The fake keeps its settings in memory, for one page load. The engine keeps them in settings.json: stand in
  // for that file with the session's storage, so a reload is a restart that finds what was saved.
  await page.addInitScript(() => {
    let fake: FakeBackend | undefined;
    Object.defineProperty(window, 'ternFake', {
      configurable: true,
      get: () => fake,
      set(value: FakeBackend) {
        fake = value;
        const setSettings = value.setSettings.bind(value);
        const getSettings = value.getSettings.bind(value);
        value.setSettings = async (next: Settings) => {
          const saved = await setSettings(next);
          sessionStorage.setItem('tern-settings-file', JSON.stringify(saved));
          return saved;
        };
        value.getSettings = async () => {
          const file = sessionStorage.getItem('tern-settings-file');
          return file ? (JSON.parse(file) as Settings) : getSettings();
        };
      },
    });
  });
  await page.goto(`${inject('baseUrl')}?fixture=demo`);
  const nav = page.getByRole('navigation', { name: 'Folders' });
  const messages = page.getByRole('region', { name: 'Messages' });
  const sidebarSplitter = page.getByRole('separator', { name: 'Resize the folder list' });
  const listSplitter = page.getByRole('separator', { name: 'Resize the message list' });
  await messages.getByRole('listbox', { name: 'Messages' }).locator('[aria-posinset="1"] .row').waitFor();
  expect(await sidebarSplitter.getAttribute('aria-valuenow')).toBe('240');
  expect(await listSplitter.getAttribute('aria-valuenow')).toBe('380');
  expect(await sidebarSplitter.getAttribute('aria-orientation')).toBe('vertical');
  expect(await width(nav)).toBe(240);
  expect(await width(messages)).toBe(380);

  // Drag the sidebar's edge 80 px to the right.
  const grip = (await sidebarSplitter.boundingBox())!;
  await page.mouse.move(grip.x + grip.width / 2, grip.y + 300);
  await page.mouse.down();
  await page.mouse.move(grip.x + grip.width / 2 + 40, grip.y + 300, { steps: 4 });
  await page.mouse.move(grip.x + grip.width / 2 + 80, grip.y + 300, { steps: 4 });
  await page.mouse.up();
  expect(await sidebarSplitter.getAttribute('aria-valuenow')).toBe('320');
  expect(await width(nav)).toBe(320);

  // The list's edge, from the keyboard: two steps right, then Shift for a big step left.
  await listSplitter.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowLeft');
  expect(await listSplitter.getAttribute('aria-valuenow')).toBe(String(380 + 32 - 64));
  expect(await width(messages)).toBe(348);
  const ring = await listSplitter.evaluate((el) => {
    const style = getComputedStyle(el);
    return el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  });
  expect(ring).toBe(true);

  // Saved once the dragging stops.
  await expect
    .poll(() => page.evaluate(() => (window as unknown as FakeWindow).ternFake.getSettings()))
    .toMatchObject({ sidebarWidth: 320, listWidth: 348 });

  await page.reload();
  await messages.getByRole('listbox', { name: 'Messages' }).locator('[aria-posinset="1"] .row').waitFor();
  expect(await sidebarSplitter.getAttribute('aria-valuenow')).toBe('320');
  expect(await listSplitter.getAttribute('aria-valuenow')).toBe('348');
  expect(await width(nav)).toBe(320);
  expect(await width(messages)).toBe(348);
  await page.close();
});

test('dark mode follows the system live, and the Appearance setting overrides it either way', async () => {
  const { page, errors } = await open({ colorScheme: 'light' });
  expect(await isDark(page)).toBe(false);
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
  const light = await background(page);

  // The system turns dark while Tern runs.
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => isDark(page)).toBe(true);
  const dark = await background(page);
  expect(dark).not.toBe(light);
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).colorScheme)).toBe('dark');
  await page.screenshot({ path: `${RESULTS_DIR}/shell-system-dark.png` });

  // Light chosen in Settings: light, whatever the system says.
  const dialog = await openSettings(page);
  await dialog.getByRole('radio', { name: 'Light' }).check();
  await expect.poll(() => background(page)).toBe(light);
  await page.emulateMedia({ colorScheme: 'light' });
  await dialog.getByRole('radio', { name: 'Dark' }).check();
  await expect.poll(() => background(page)).toBe(dark);
  await page.screenshot({ path: `${RESULTS_DIR}/settings-dark.png` });
  await page.keyboard.press('Escape');
  // The system's light does not undo the choice; back to "As the system", it does.
  expect(await isDark(page)).toBe(true);
  await (await openSettings(page)).getByRole('radio', { name: 'As the system' }).check();
  await expect.poll(() => background(page)).toBe(light);
  await expect
    .poll(() => page.evaluate(() => (window as unknown as FakeWindow).ternFake.getSettings().then((s) => s.theme)))
    .toBe('system');
  expect(errors).toEqual([]);
  await page.close();
});

test('a theme and density saved earlier apply at start', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page.setDefaultTimeout(10_000);
  await page.addInitScript(() => {
    let fake: FakeBackend | undefined;
    Object.defineProperty(window, 'ternFake', {
      configurable: true,
      get: () => fake,
      set(value: FakeBackend) {
        fake = value;
        const getSettings = value.getSettings.bind(value);
        value.getSettings = async () => ({ ...(await getSettings()), theme: 'dark', density: 'compact' });
      },
    });
  });
  await page.goto(`${inject('baseUrl')}?fixture=demo`);
  const list = page.getByRole('listbox', { name: 'Messages' });
  await list.locator('[aria-posinset="1"] .row').waitFor();
  expect(await isDark(page)).toBe(true);
  // Compact rows: one line each.
  expect(Math.round((await list.locator('[aria-posinset="1"]').boundingBox())!.height)).toBe(34);
  await page.screenshot({ path: `${RESULTS_DIR}/shell-dark-compact.png` });
  await page.close();
});

test('reduced motion: transitions are cut short when the system asks for it', async () => {
  const transition = async (page: Page) => {
    const dialog = await openSettings(page);
    const value = await dialog
      .getByRole('switch', { name: 'Desktop notifications for new mail' })
      .evaluate((el) => getComputedStyle(el).transitionDuration);
    await page.keyboard.press('Escape');
    return parseFloat(value);
  };
  const splitter = (page: Page) =>
    page
      .getByRole('separator', { name: 'Resize the folder list' })
      .evaluate((el) => parseFloat(getComputedStyle(el).transitionDuration));
  const moving = await open();
  expect(await transition(moving.page)).toBeGreaterThan(0.1);
  expect(await splitter(moving.page)).toBeGreaterThan(0.1);
  await moving.page.close();
  const still = await open({ reducedMotion: 'reduce' });
  expect(await transition(still.page)).toBeLessThan(0.001);
  expect(await splitter(still.page)).toBeLessThan(0.001);
  await still.page.close();
});

test('a narrow window: the list alone, the reader in its place once a message is opened, and back', async () => {
  const { page, errors } = await open({ width: 700 });
  const list = page.getByRole('listbox', { name: 'Messages' });
  const reader = page.getByRole('region', { name: 'Reader' });
  expect(await list.isVisible()).toBe(true);
  expect(await reader.isVisible()).toBe(false);
  expect(await page.getByRole('separator', { name: 'Resize the message list' }).count()).toBe(0);
  expect(await page.getByRole('separator', { name: 'Resize the folder list' }).isVisible()).toBe(true);

  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await reader.waitFor();
  expect(await list.isVisible()).toBe(false);
  await expect.poll(() => reader.evaluate((el) => el.contains(document.activeElement))).toBe(true);
  await page.screenshot({ path: `${RESULTS_DIR}/shell-narrow-reading.png` });

  await page.keyboard.press('Escape');
  await list.waitFor();
  expect(await reader.isVisible()).toBe(false);
  await expect.poll(() => list.evaluate((el) => el === document.activeElement)).toBe(true);

  await page.keyboard.press('o');
  await reader.waitFor();
  await page.getByRole('button', { name: 'Back to the list' }).click();
  await list.waitFor();
  expect(errors).toEqual([]);
  await page.close();
});
