import { useMemo } from 'react';
import { traceSpans } from '../../../../../usage/trace.js';
import type { SessionEvent } from '../api.js';
import { duration } from '../format.js';

/** Model requests, tool calls and sandbox operations of a session on one time axis. */
export function Trace({ events }: { events: readonly SessionEvent[] }) {
  const spans = useMemo(() => traceSpans([...events]), [events]);
  if (spans.length === 0) return <p className="muted">No spans yet.</p>;
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(1, Math.max(...spans.map((s) => s.endMs)) - t0);
  return (
    <table className="trace">
      <caption className="sr-only">Spans on a time axis</caption>
      <thead>
        <tr>
          <th scope="col">Span</th>
          <th scope="col">Start</th>
          <th scope="col">Duration</th>
          <th scope="col" className="trace-axis">
            Time axis ({duration(total)})
          </th>
        </tr>
      </thead>
      <tbody>
        {spans.map((s) => (
          <tr
            key={`${s.kind}-${s.id}`}
            className={`span-${s.kind}${s.isError ? ' span-error' : ''}`}
            data-span-kind={s.kind}
          >
            <th scope="row">
              <span className="span-name">{s.name}</span>
              {s.detail ? <span className="muted small span-detail">{s.detail}</span> : null}
            </th>
            <td>+{duration(s.startMs - t0)}</td>
            <td>
              {duration(s.endMs - s.startMs)}
              {s.isError ? ' · error' : ''}
            </td>
            <td className="trace-axis" aria-hidden="true">
              <span
                className="trace-bar"
                style={{
                  marginLeft: `${((s.startMs - t0) / total) * 100}%`,
                  width: `${Math.max(0.5, ((s.endMs - s.startMs) / total) * 100)}%`,
                }}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
