export { createSlackApi, SlackApiError, type SlackApi } from './api.js';
export { SlackConfig, type SlackConfigInput, type SlackSettings, readSlackConfigFile, slackSettingsFromEnv, threadKey } from './config.js';
export { createHonoReceiver, verifySlackSignature } from './http-receiver.js';
export { createSlackService, type SlackService, type SlackServiceOptions } from './service.js';
