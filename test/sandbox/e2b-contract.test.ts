/** The Sandbox contract suite, unchanged, on the E2B provider against the fake E2B. */
import { afterAll, beforeAll } from 'vitest';
import { type FakeE2B, startFakeE2B } from '../fakes/e2b/index.js';
import { e2bEnvironment, fileSandboxRecord, makeE2BProvider } from './e2b-helpers.js';
import { describeSandboxContract } from './sandbox-contract.js';

let fake: FakeE2B;
beforeAll(async () => {
  fake = await startFakeE2B();
});
afterAll(async () => {
  await fake?.close();
});

describeSandboxContract(
  'e2b (fake E2B)',
  (stateDir) => makeE2BProvider(fake, fileSandboxRecord(stateDir)).provider,
  {
    environment: e2bEnvironment(),
  },
);
