import { memo } from 'react';
import { duration, tokens } from '../format.js';
import { Markdown } from '../markdown.js';
import type { Item } from '../timeline.js';
import { ToolCard } from './tool-card.js';

interface Props {
  item: Item;
  pending: boolean;
  onConfirm(toolUseId: string, result: 'allow' | 'deny', reason?: string): Promise<void>;
}

export const TimelineItem = memo(function TimelineItem({ item, pending, onConfirm }: Props) {
  switch (item.kind) {
    case 'user':
      return (
        <li className="msg msg-user" data-event-id={item.id}>
          <span className="who">{item.by ?? 'You'}</span>
          <Markdown text={item.text} />
        </li>
      );
    case 'agent':
      return (
        <li
          className={`msg msg-agent${item.live ? ' live' : ''}`}
          data-event-id={item.id}
          data-live={item.live ? 'true' : undefined}
        >
          <span className="who">Agent</span>
          <Markdown text={item.text} />
        </li>
      );
    case 'thinking':
      return (
        <li className="thinking" data-event-id={item.id}>
          <details>
            <summary>{item.live ? 'Thinking…' : 'Thinking'}</summary>
            <pre className="wrap">{item.text || '(no thinking text)'}</pre>
          </details>
        </li>
      );
    case 'tool':
      return (
        <li data-event-id={item.id}>
          <ToolCard item={item} pending={pending} onConfirm={onConfirm} />
        </li>
      );
    case 'interrupt':
      return (
        <li className="mark warn" data-event-id={item.id}>
          Interrupted{item.by ? ` by ${item.by}` : ''}
        </li>
      );
    case 'status':
      return (
        <li className={`mark ${item.tone}`} data-event-id={item.id}>
          {item.text}
        </li>
      );
    case 'error':
      return (
        <li className="mark error" data-event-id={item.id} role="alert">
          {item.type.replace(/_/g, ' ')}: {item.message}
          {item.retry === 'retrying'
            ? ' — retrying'
            : item.retry === 'exhausted'
              ? ' — retries exhausted'
              : ''}
        </li>
      );
    case 'compaction':
      return (
        <li className="mark compaction" data-event-id={item.id}>
          <details>
            <summary>Context compacted: earlier turns were summarised</summary>
            {item.summary ? <pre className="wrap">{item.summary}</pre> : null}
          </details>
        </li>
      );
    case 'usage':
      return (
        <li className={`usage${item.isError ? ' error' : ''}`} data-event-id={item.id}>
          Model request{item.ms !== null ? ` · ${duration(item.ms)}` : ''} · {tokens(item.usage.input_tokens)}{' '}
          in · {tokens(item.usage.output_tokens)} out
          {item.usage.cache_read_input_tokens
            ? ` · ${tokens(item.usage.cache_read_input_tokens)} cache read`
            : ''}
          {item.usage.cache_creation_input_tokens
            ? ` · ${tokens(item.usage.cache_creation_input_tokens)} cache write`
            : ''}
          {item.isError ? ' · failed' : ''}
        </li>
      );
    case 'sandbox':
      return (
        <li className={`usage${item.isError ? ' error' : ''}`} data-event-id={item.id}>
          {item.text}
        </li>
      );
    case 'system':
      return (
        <li className="mark info" data-event-id={item.id}>
          {item.text}
        </li>
      );
  }
});
