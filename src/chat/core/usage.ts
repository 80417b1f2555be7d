/** Token usage and an estimate of its cost, for the end-of-turn footer. */
import type { UsageTotals } from './types.js';

/** USD per million tokens: input, output. Cache reads cost 0.1x input, cache writes 1.25x. */
const PRICES: Array<[RegExp, number, number]> = [
  [/opus-4-[5-9]|opus-[5-9]/, 5, 25],
  [/opus/, 15, 75],
  [/sonnet/, 3, 15],
  [/haiku-4|haiku-[5-9]/, 1, 5],
  [/haiku/, 0.8, 4],
];

/** Estimated cost in USD, or undefined for a model without a known price. */
export function estimateCostUsd(model: string, usage: UsageTotals): number | undefined {
  const price = PRICES.find(([pattern]) => pattern.test(model));
  if (!price) return undefined;
  const [, input, output] = price;
  return (
    (usage.input_tokens * input +
      usage.output_tokens * output +
      usage.cache_read_input_tokens * input * 0.1 +
      usage.cache_creation_input_tokens * input * 1.25) /
    1_000_000
  );
}

const compact = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : n.toLocaleString('en-US'));

/** `12,345 in · 678 out · 9k cached · $0.0421` */
export function formatUsage(usage: UsageTotals, model?: string): string {
  const parts = [`${compact(usage.input_tokens)} in`, `${compact(usage.output_tokens)} out`];
  if (usage.cache_read_input_tokens > 0) parts.push(`${compact(usage.cache_read_input_tokens)} cached`);
  const cost = model ? estimateCostUsd(model, usage) : undefined;
  if (cost !== undefined) parts.push(`$${cost < 0.01 ? cost.toFixed(4) : cost.toFixed(2)}`);
  return parts.join(' · ');
}
