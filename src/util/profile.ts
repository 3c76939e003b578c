/**
 * MINICTR_PROFILE=1: one stderr line per phase boundary of a command, "minictr-profile MS
 * PHASE", MS the time since the process started (performance.now(): node's time origin).
 * bench/profile-run.sh turns them into the split of `run` (BENCHMARKS.md). Off by default:
 * one environment lookup at load, then a boolean test per mark.
 */
import { writeSync } from 'node:fs';

const ON = process.env.MINICTR_PROFILE === '1';

/** Mark the end of a phase (the name says what has just been done). */
export function profileMark(phase: string): void {
  if (ON) writeSync(2, `minictr-profile ${performance.now().toFixed(2)} ${phase}\n`);
}
