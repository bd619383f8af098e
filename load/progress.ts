/**
 * One status line on stderr while a run goes: redrawn in place on a terminal (at most 4 times a
 * second), a plain line every 10 s otherwise (CI logs, pipes), so logs never flood.
 */

const BAR_WIDTH = 24;

export class Progress {
  private lastPlainAt = 0;
  private lastDrawAt = 0;
  private drawn = false;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly enabled = true) {}

  /** fraction in 0..1, or undefined for a phase of unknown length. */
  update(label: string, fraction: number | undefined, detail: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (this.tty ? now - this.lastDrawAt < 250 : now - this.lastPlainAt < 10_000) return;
    const bar =
      fraction === undefined
        ? ''
        : `▕${'█'.repeat(Math.round(Math.min(1, fraction) * BAR_WIDTH)).padEnd(BAR_WIDTH, '░')}▏ `;
    const line = `${label} ${bar}${detail}`;
    if (this.tty) {
      const width = process.stderr.columns ?? 120;
      process.stderr.write(`\r\x1b[K${line.slice(0, width - 1)}`);
      this.lastDrawAt = now;
      this.drawn = true;
    } else {
      process.stderr.write(`${line}\n`);
      this.lastPlainAt = now;
    }
  }

  /** A line that stays (phase changes, notes). */
  note(text: string): void {
    if (!this.enabled) return;
    this.clear();
    process.stderr.write(`${text}\n`);
  }

  clear(): void {
    if (this.drawn) {
      process.stderr.write('\r\x1b[K');
      this.drawn = false;
    }
  }
}
