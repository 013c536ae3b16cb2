/**
 * The watchdog: a thread of its own, because the thread it guards may be stuck in a guest's loop
 * and run no timers. Every tick it looks at the armed slots and, for each whose deadline has
 * passed, writes the slot's ticket into the flag memory; the guest traps at its next check.
 * Started by controller.ts, which documents the shared layout.
 */
import { workerData } from 'node:worker_threads';

const { control, deadlines, tickets, flags, tickMs } = workerData as {
  control: Int32Array;
  deadlines: Float64Array;
  tickets: Int32Array;
  flags: Int32Array;
  tickMs: number;
};
const ARMED = 0;
const STOP = 1;
const SLOTS_IN_USE = 2;
const TICK = 3;

for (;;) {
  if (Atomics.load(control, STOP) !== 0) break;
  if (Atomics.load(control, ARMED) === 0) {
    Atomics.wait(control, ARMED, 0);
    continue;
  }
  const now = performance.timeOrigin + performance.now();
  const used = Atomics.load(control, SLOTS_IN_USE);
  for (let slot = 0; slot < used; slot++) {
    const ticket = Atomics.load(tickets, slot);
    const deadline = deadlines[slot] as number;
    // The ticket is read on both sides of the deadline: if the slot was re-armed in between, the
    // deadline may be the new request's, so leave it for the next tick.
    if (deadline === 0 || now < deadline || Atomics.load(tickets, slot) !== ticket) continue;
    Atomics.store(flags, slot, ticket);
  }
  Atomics.wait(control, TICK, 0, tickMs);
}
