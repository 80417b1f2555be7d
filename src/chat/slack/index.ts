export { createSlackApi, type SlackApi, SlackApiError } from './api.js';
export {
  readSlackConfigFile,
  SlackConfig,
  type SlackConfigInput,
  type SlackSettings,
  slackSettingsFromEnv,
  threadKey,
} from './config.js';
export { createHonoReceiver, verifySlackSignature } from './http-receiver.js';
export { createSlackService, type SlackService, type SlackServiceOptions } from './service.js';
