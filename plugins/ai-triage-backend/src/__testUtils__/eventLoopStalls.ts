import { availableParallelism, loadavg } from 'node:os';
import {
  PerformanceEntry,
  PerformanceObserver,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks';

/** What {@link EventLoopStalls} measured. */
export type EventLoopStallReport = {
  /** Longest wall-clock delay of the event loop (Node's monitorEventLoopDelay), ms. */
  maxDelayMs: number;
  /**
   * Longest stretch of this thread's CPU time without a turn of the event loop, ms: the work
   * that held the loop, without the time the operating system gave other processes meanwhile,
   * and without the garbage collector's pauses in it (a major collection of a test worker's
   * whole heap, under load, can pause the thread for 100 ms and more whatever the code under
   * test does). Equal to the wall-clock delay on an idle machine without collections.
   */
  maxBlockedCpuMs: number;
  /** Longest garbage-collection pause while measuring, ms. */
  maxGcPauseMs: number;
  /** The 1-minute load average while measuring, and the machine's cores. */
  loadAverage: number;
  cores: number;
};

/**
 * Measures event-loop stalls two ways while running: the wall-clock delay (what a health
 * check waiting on this process sees) and the main thread's CPU time between two turns of the
 * loop (how long the process's own work held the loop). On a machine shared by more runnable
 * processes than cores the first is stretched by the others; the second is not.
 */
export class EventLoopStalls {
  private readonly delay = monitorEventLoopDelay({ resolution: 5 });
  private readonly gcs: PerformanceEntry[] = [];
  private readonly gcObserver = new PerformanceObserver(list =>
    this.gcs.push(...list.getEntries()),
  );
  private timer?: NodeJS.Timeout;
  private lastCpuUs = 0;
  private lastMs = 0;
  /** Each stretch between two turns: its wall-clock span and the thread's CPU time in it. */
  private readonly turns: Array<{
    fromMs: number;
    toMs: number;
    cpuUs: number;
  }> = [];
  private loadSum = 0;
  private loadSamples = 0;

  start(): this {
    this.delay.enable();
    this.gcObserver.observe({ entryTypes: ['gc'] });
    this.lastCpuUs = threadCpuUs();
    this.lastMs = performance.now();
    this.sampleLoad();
    this.timer = setInterval(() => this.tick(), 5);
    return this;
  }

  stop(): EventLoopStallReport {
    clearInterval(this.timer);
    this.tick();
    this.delay.disable();
    this.gcs.push(...this.gcObserver.takeRecords());
    this.gcObserver.disconnect();
    this.sampleLoad();
    const gcMsIn = (fromMs: number, toMs: number) =>
      this.gcs.reduce(
        (sum, gc) =>
          sum +
          Math.max(
            0,
            Math.min(toMs, gc.startTime + gc.duration) -
              Math.max(fromMs, gc.startTime),
          ),
        0,
      );
    return {
      maxDelayMs: this.delay.max / 1e6,
      maxBlockedCpuMs: this.turns.reduce(
        (max, turn) =>
          Math.max(max, turn.cpuUs / 1000 - gcMsIn(turn.fromMs, turn.toMs)),
        0,
      ),
      maxGcPauseMs: this.gcs.reduce((max, gc) => Math.max(max, gc.duration), 0),
      loadAverage: this.loadSum / this.loadSamples,
      cores: availableParallelism(),
    };
  }

  private tick(): void {
    const cpuUs = threadCpuUs();
    const nowMs = performance.now();
    this.turns.push({
      fromMs: this.lastMs,
      toMs: nowMs,
      cpuUs: cpuUs - this.lastCpuUs,
    });
    this.lastCpuUs = cpuUs;
    this.lastMs = nowMs;
    if (nowMs % 1000 < 5) this.sampleLoad();
  }

  private sampleLoad(): void {
    this.loadSum += loadavg()[0];
    this.loadSamples += 1;
  }
}

/** CPU time (user and system) of this thread, in microseconds. */
function threadCpuUs(): number {
  // Node 22.19 and later; not yet in every @types/node.
  const { user, system } = (
    process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }
  ).threadCpuUsage();
  return user + system;
}

/** One line for a test's output: both measures and the machine's load. */
export function describeStalls(report: EventLoopStallReport): string {
  return `max event-loop delay ${report.maxDelayMs.toFixed(
    0,
  )} ms wall-clock, ${report.maxBlockedCpuMs.toFixed(
    0,
  )} ms of this thread's CPU without a turn of the loop besides garbage collection (longest pause ${report.maxGcPauseMs.toFixed(
    0,
  )} ms; load average ${report.loadAverage.toFixed(1)} on ${
    report.cores
  } cores)`;
}
