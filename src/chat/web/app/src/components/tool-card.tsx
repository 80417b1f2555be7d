import { useState } from 'react';
import { duration } from '../format.js';
import type { ToolItem } from '../timeline.js';

interface Props {
  item: ToolItem;
  pending: boolean;
  onConfirm(toolUseId: string, result: 'allow' | 'deny', reason?: string): Promise<void>;
}

function summaryOf(input: Record<string, unknown>): string {
  const first = input.command ?? input.cmd ?? input.path ?? input.url ?? input.query ?? input.message;
  const text = typeof first === 'string' ? first : JSON.stringify(input);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** One tool call: input, output as it streams, exit code, duration, and approval when asked. */
export function ToolCard({ item, pending, onConfirm }: Props) {
  const [open, setOpen] = useState(!item.result || pending);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const state = item.result
    ? item.result.isError
      ? 'failed'
      : 'done'
    : pending
      ? 'waiting for approval'
      : item.confirmation?.result === 'deny'
        ? 'denied'
        : item.custom
          ? 'waiting for the client'
          : 'running';
  const ms = item.result ? Date.parse(item.result.at) - Date.parse(item.startedAt) : null;

  const confirm = async (result: 'allow' | 'deny') => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm(item.id, result, result === 'deny' ? reason.trim() || undefined : undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <details
      className={`tool-card tool-${state.replace(/ /g, '-')}`}
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
      data-tool-use-id={item.id}
    >
      <summary>
        <span className="tool-name">
          {item.server ? `${item.server} · ` : ''}
          {item.name}
        </span>
        <span className="tool-arg">{summaryOf(item.input)}</span>
        <span className="tool-state">
          {state}
          {item.result && item.result.exitCode !== null ? ` · exit ${item.result.exitCode}` : ''}
          {ms !== null ? ` · ${duration(ms)}` : ''}
        </span>
      </summary>
      <div className="tool-body">
        <h3 className="io-label">Input</h3>
        <pre className="tool-input">{JSON.stringify(item.input, null, 2)}</pre>
        {item.output || item.result ? (
          <>
            <h3 className="io-label">Output</h3>
            <pre className="tool-output" aria-live="off">
              {item.result ? item.result.text || item.output : item.output}
            </pre>
          </>
        ) : null}
        {item.confirmation ? (
          <p className={`confirmation ${item.confirmation.result}`}>
            {item.confirmation.result === 'allow' ? 'Approved' : 'Denied'}
            {item.confirmation.by ? ` by ${item.confirmation.by}` : ''}
            {item.confirmation.message ? `: ${item.confirmation.message}` : ''}
          </p>
        ) : null}
        {pending ? (
          <form
            className="approval"
            aria-label={`Approve or deny ${item.name}`}
            onSubmit={(e) => {
              e.preventDefault();
              void confirm('deny');
            }}
          >
            <p>
              <strong>{item.name}</strong> needs your approval before it runs.
            </p>
            <div className="approval-row">
              <button type="button" className="primary" disabled={busy} onClick={() => void confirm('allow')}>
                Approve
              </button>
              <label className="grow">
                <span className="sr-only">Reason for denying {item.name}</span>
                <input
                  value={reason}
                  onChange={(e) => setReason(e.target.value)}
                  placeholder="Reason (optional)"
                />
              </label>
              <button type="submit" className="danger" disabled={busy}>
                Deny
              </button>
            </div>
            {error ? (
              <p className="form-error" role="alert">
                {error}
              </p>
            ) : null}
          </form>
        ) : null}
      </div>
    </details>
  );
}
