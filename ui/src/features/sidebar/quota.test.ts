import { describe, expect, it } from 'vitest';
import { describeQuota, formatSize } from './quota';

const MIB = 1024;
const GIB = 1024 * MIB;

describe('storage sizes', () => {
  it.each([
    [0, '0 KB'],
    [512, '512 KB'],
    [999, '999 KB'],
    [1000, '1 MB'],
    [1.5 * MIB, '1.5 MB'],
    [240 * MIB, '240 MB'],
    [Math.round(1.3 * GIB), '1.3 GB'],
    [5 * GIB, '5 GB'],
    [15 * GIB, '15 GB'],
    [2048 * GIB, '2 TB'],
  ])('%d KiB is %s', (kib, text) => {
    expect(formatSize(kib, 'en-US')).toBe(text);
  });

  it('follows the locale', () => {
    expect(formatSize(1.5 * MIB, 'de-DE')).toBe('1,5 MB');
  });
});

describe('quota line', () => {
  it.each([
    [{ usedKib: 0, limitKib: 5 * GIB }, '0 KB of 5 GB used', 0, false],
    [{ usedKib: 512, limitKib: 1.5 * MIB }, '512 KB of 1.5 MB used', 1 / 3, false],
    [{ usedKib: Math.round(1.3 * GIB), limitKib: 5 * GIB }, '1.3 GB of 5 GB used', 0.26, false],
    [{ usedKib: 4.5 * GIB, limitKib: 5 * GIB }, '4.5 GB of 5 GB used', 0.9, false],
    [{ usedKib: 4.7 * GIB, limitKib: 5 * GIB }, '4.7 GB of 5 GB used', 0.94, true],
    [{ usedKib: 6 * GIB, limitKib: 5 * GIB }, '6 GB of 5 GB used', 1, true],
  ])('%o → %s', (quota, text, ratio, warning) => {
    const view = describeQuota(quota, 'en-US');
    expect(view.text).toBe(text);
    expect(view.ratio).toBeCloseTo(ratio, 2);
    expect(view.warning).toBe(warning);
  });
});
