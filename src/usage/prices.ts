/**
 * Model prices in USD per million tokens, used for cost reports and cost budgets. Shipped
 * defaults follow Anthropic's public list prices; override or extend them with a YAML file
 * (`THREADHAND_PRICES_FILE`) mapping a model id prefix to the four rates.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

export const ModelPrice = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cache_read: z.number().nonnegative(),
  cache_write: z.number().nonnegative(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;
export const PriceTable = z.record(z.string(), ModelPrice);
export type PriceTable = z.infer<typeof PriceTable>;

/** Longest matching prefix wins, so `claude-opus-4-5` beats `claude-opus-4`. */
export const DEFAULT_PRICES: PriceTable = {
  // Family defaults for newer ids; specific prefixes below win where they differ.
  'claude-opus': { input: 5, output: 25, cache_read: 0.5, cache_write: 6.25 },
  'claude-sonnet': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-haiku': { input: 1, output: 5, cache_read: 0.1, cache_write: 1.25 },
  'claude-opus-4-5': { input: 5, output: 25, cache_read: 0.5, cache_write: 6.25 },
  'claude-opus-4-6': { input: 5, output: 25, cache_read: 0.5, cache_write: 6.25 },
  'claude-opus-4-2025': { input: 15, output: 75, cache_read: 1.5, cache_write: 18.75 },
  'claude-opus-4-0': { input: 15, output: 75, cache_read: 1.5, cache_write: 18.75 },
  'claude-opus-4-1': { input: 15, output: 75, cache_read: 1.5, cache_write: 18.75 },
  'claude-opus-4-2': { input: 15, output: 75, cache_read: 1.5, cache_write: 18.75 },
  'claude-sonnet-4': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-sonnet-5': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-3-7-sonnet': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cache_read: 0.1, cache_write: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cache_read: 0.08, cache_write: 1 },
};

export function loadPriceTable(file?: string): PriceTable {
  if (!file) return DEFAULT_PRICES;
  const parsed = PriceTable.safeParse(parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid price table'}`);
  }
  return { ...DEFAULT_PRICES, ...parsed.data };
}

export function priceFor(table: PriceTable, model: string): ModelPrice | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    if (model.startsWith(prefix) && (!best || prefix.length > best.length)) best = prefix;
  }
  return best ? table[best] : undefined;
}
