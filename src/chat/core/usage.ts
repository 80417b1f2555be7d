/** Token usage and an estimate of its cost, for the end-of-turn footer. */
import { DEFAULT_PRICES, type PriceTable } from '../../usage/prices.js';
import { costUsd } from '../../usage/usage.js';
import type { UsageTotals } from './types.js';

/**
 * Estimated cost in USD at list price, or undefined for an unknown model. Pass the effective
 * table (`Threadhand.prices`, which honours `THREADHAND_PRICES_FILE`); the shipped one is the fallback.
 */
export function estimateCostUsd(
  model: string,
  usage: UsageTotals,
  prices: PriceTable = DEFAULT_PRICES,
): number | undefined {
  return costUsd(usage, model, prices);
}

const compact = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : n.toLocaleString('en-US'));

/** `12,345 in · 678 out · 9k cached · $0.0421 · sandbox 3.2s` (sandbox only when it ran). */
export function formatUsage(usage: UsageTotals, model?: string, prices?: PriceTable): string {
  const parts = [`${compact(usage.input_tokens)} in`, `${compact(usage.output_tokens)} out`];
  if (usage.cache_read_input_tokens > 0) parts.push(`${compact(usage.cache_read_input_tokens)} cached`);
  const cost = model ? estimateCostUsd(model, usage, prices) : undefined;
  if (cost !== undefined) parts.push(`$${cost < 0.01 ? cost.toFixed(4) : cost.toFixed(2)}`);
  if (usage.sandbox_active_seconds !== null)
    parts.push(`sandbox ${usage.sandbox_active_seconds.toFixed(1)}s`);
  return parts.join(' · ');
}
