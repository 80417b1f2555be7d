/**
 * A process that consumes the Redis wake queue and reports each run over IPC. With
 * HANG=1 a run never finishes (the parent kill -9s the process mid-run).
 */
import { createRedisStores } from '../../../src/store/redis/index.js';

const stores = await createRedisStores({
  url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: process.env.PREFIX!,
  queue: { lockDurationMs: 1000, stalledIntervalMs: 500 },
});
const hang = process.env.HANG === '1';
stores.queue.consume(async (sessionId) => {
  process.send?.({ type: 'run', sessionId, pid: process.pid });
  if (hang) await new Promise(() => {});
});
process.send?.({ type: 'ready', pid: process.pid });
process.on('SIGTERM', () => {
  stores.close().then(() => process.exit(0));
});
