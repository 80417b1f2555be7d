/**
 * Child process of the idle benchmark: opens Threadhand on a data directory that already
 * holds N idle sessions bound to threads, proves one resumes, and reports its memory.
 */
import { createSqliteStores } from '../src/store/sqlite/index.js';
import { startTestThreadhand } from '../test/helpers/threadhand.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: idle-child <data dir>');
const t = await startTestThreadhand({
  dir,
  stores: createSqliteStores({ dir }),
  script: () => ({ content: [{ type: 'text', text: 'Welcome back.' }] }),
});
const page = await t.th.stores.log.listSessions({ limit: 1, order: 'desc' });
const sample = page.data[0];
let resumed = false;
if (sample) {
  const thread = sample.metadata['threadhand.thread'] ?? '';
  const found = await t.th.runtime.sessionForThread({ platform: 'slack', thread });
  await t.th.runtime.send(sample.id, [
    { type: 'user.message', content: [{ type: 'text', text: 'still there?' }] },
  ]);
  await t.th.runtime.waitForIdle(sample.id, { timeoutMs: 30_000 });
  resumed =
    found === sample.id &&
    (await t.events(sample.id)).some(
      (e) => e.type === 'agent.message' && JSON.stringify(e).includes('Welcome back'),
    );
}
(globalThis as { gc?: () => void }).gc?.();
const m = process.memoryUsage();
process.stdout.write(`${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, resumed })}\n`);
await t.close();
process.exit(0);
