import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino redacts wherever they appear in a log line. */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'secret_value',
  '*.secret_value',
  'signingSecret',
  '*.signingSecret',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'secret',
  '*.secret',
  'secretKey',
  '*.secretKey',
  'password',
  '*.password',
  'apiKeys',
  '*.apiKeys',
  'headers.cookie',
  '*.headers.cookie',
  // Vendor HTTP errors (axios in @slack/web-api, fetch clients) carry their request config.
  'err.config.headers.Authorization',
  'err.config.headers.authorization',
  'err.config.headers["x-api-key"]',
  'err.headers.authorization',
  'err.headers["x-api-key"]',
];

export interface LoggerOptions {
  level?: string;
  /** Pretty output for a terminal; JSON otherwise. */
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.THREADHAND_LOG_LEVEL ?? 'info';
  const base = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, destination: 2 } },
    });
  }
  return pino(base, pino.destination(2));
}

/** A logger that drops everything (tests, quiet CLI paths). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
