/**
 * CPU time and memory of a process from /proc (Linux): utime + stime from /proc/<pid>/stat,
 * VmRSS from /proc/<pid>/status. Differences of CPU time over wall time give the cores used.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcSample {
  /** CPU seconds used so far (user + system). */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

/** undefined once the process is gone. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at index 2 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / clockTicks(), rssBytes: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

/** The pid of the redis-server listening on this port (its title names the port). */
export function findRedisPid(port: number): number | undefined {
  if (!existsSync('/proc')) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.startsWith('redis-server') || cmdline.includes('/redis-server')) {
        if (cmdline.includes(`:${port}`) || cmdline.includes(`--port ${port}`))
          return Number(entry);
      }
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
