/**
 * Captures a stream's output up to a byte cap, keeping the head and the tail (the end of a
 * failing build is usually what matters) with a marker in between saying how much was cut.
 */
export interface OutputBuffer {
  push(chunk: Buffer): void;
  readonly totalBytes: number;
  readonly truncated: boolean;
  text(): string;
  bytes(): Buffer;
}

export function truncationMarker(omittedBytes: number): string {
  return `\n[... ${omittedBytes} bytes of output truncated ...]\n`;
}

export function createOutputBuffer(maxBytes: number): OutputBuffer {
  const headCap = Math.ceil(maxBytes / 2);
  const tailCap = Math.max(0, maxBytes - headCap);
  const head: Buffer[] = [];
  let headBytes = 0;
  const tail: Buffer[] = [];
  let tailBytes = 0;
  let total = 0;

  function trimTail(): void {
    while (tailBytes > tailCap && tail.length > 0) {
      const first = tail[0] as Buffer;
      const excess = tailBytes - tailCap;
      if (first.length <= excess) {
        tail.shift();
        tailBytes -= first.length;
      } else {
        tail[0] = first.subarray(excess);
        tailBytes -= excess;
      }
    }
  }

  return {
    push(chunk) {
      total += chunk.length;
      let rest = chunk;
      if (headBytes < headCap) {
        const take = Math.min(headCap - headBytes, rest.length);
        head.push(rest.subarray(0, take));
        headBytes += take;
        rest = rest.subarray(take);
      }
      if (rest.length > 0 && tailCap > 0) {
        tail.push(rest);
        tailBytes += rest.length;
        trimTail();
      }
    },
    get totalBytes() {
      return total;
    },
    get truncated() {
      return total > headBytes + tailBytes;
    },
    bytes() {
      return Buffer.concat([...head, ...tail]);
    },
    text() {
      const headText = Buffer.concat(head).toString('utf8');
      if (total <= headBytes + tailBytes) return headText + Buffer.concat(tail).toString('utf8');
      const omitted = total - headBytes - tailBytes;
      return headText + truncationMarker(omitted) + Buffer.concat(tail).toString('utf8');
    },
  };
}
