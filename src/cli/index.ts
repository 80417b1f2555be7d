/** Entry point of the `threadhand` binary (bin/threadhand.js imports the compiled file). */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
// Open handles (HTTP keep-alive, timers in vendor SDKs) must not keep a finished command alive.
process.exit(code);
