export {
  type BuiltinToolsetOptions,
  createBuiltinToolset,
  resolveToolConfig,
  SHELL_STATE_PATH,
  type WebSearchBackend,
  type WebSearchResult,
} from './builtin/index.js';
export * from './types.js';
