import type { StorageQuota } from '../../ipc/backend';

/** Above this share of the limit the storage bar turns to the warning colour. */
export const QUOTA_WARNING = 0.9;

const UNITS = ['kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** Formatter per locale and precision (creating `Intl` formatters is slow). */
const formatters = new Map<string, Intl.NumberFormat>();

function formatter(unit: (typeof UNITS)[number], decimals: number, locale?: string): Intl.NumberFormat {
  const key = `${unit}|${decimals}|${locale ?? ''}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, {
      style: 'unit',
      unit,
      unitDisplay: 'short',
      maximumFractionDigits: decimals,
    });
    formatters.set(key, f);
  }
  return f;
}

/**
 * A size given in KiB, in the largest unit that keeps it under 1,000 (1024-based,
 * labelled KB/MB/GB/TB as mail clients and file managers do), with one decimal
 * below 10: "0 KB", "512 KB", "1.5 MB", "1.3 GB", "15 GB".
 */
export function formatSize(kib: number, locale?: string): string {
  let value = Math.max(0, kib);
  let index = 0;
  while (value >= 1000 && index < UNITS.length - 1) {
    value /= 1024;
    index++;
  }
  // CLDR spells the kilobyte "kB" (1000 bytes); these are 1024-based, so "KB" like the other units.
  return formatter(UNITS[index]!, value < 10 ? 1 : 0, locale)
    .formatToParts(value)
    .map((part) => (part.type === 'unit' && part.value === 'kB' ? 'KB' : part.value))
    .join('');
}

export interface QuotaView {
  /** "1.3 GB of 5 GB used": the visible line, and the meter's `aria-valuetext`. */
  text: string;
  /** Share of the limit in use, 0–1 (clamped). */
  ratio: number;
  /** More than {@link QUOTA_WARNING} of the limit is in use. */
  warning: boolean;
}

export function describeQuota(quota: StorageQuota, locale?: string): QuotaView {
  const ratio =
    quota.limitKib > 0 ? Math.min(1, Math.max(0, quota.usedKib / quota.limitKib)) : quota.usedKib > 0 ? 1 : 0;
  return {
    text: `${formatSize(quota.usedKib, locale)} of ${formatSize(quota.limitKib, locale)} used`,
    ratio,
    warning: ratio > QUOTA_WARNING,
  };
}
