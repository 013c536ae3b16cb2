/**
 * The watchdog: a thread of its own, because the thread it guards may be stuck in a guest's loop
 * and run no timers. Every tick it takes in which slots hold which flag word, then trips each armed
 * slot whose deadline has passed; the guest traps at its next check. controller.ts documents the
 * shared layout.
 */
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { WatchdogMessage } from './controller.ts';

const { control, deadlines, tickets, flags, port, tickMs } = workerData as {
  control: Int32Array;
  deadlines: Float64Array;
  tickets: Int32Array;
  flags: WatchdogMessage[];
  port: MessagePort;
  tickMs: number;
};
const ARMED = 0;
const STOP = 1;
const SLOTS_IN_USE = 2;
const TICK = 3;
const TRIPPED = -1;

const flagOf: Array<Int32Array | undefined> = [];
for (const { slot, flag } of flags) flagOf[slot] = flag;

for (;;) {
  if (Atomics.load(control, STOP) !== 0) break;
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const { slot, flag } = m.message as WatchdogMessage;
    flagOf[slot] = flag;
  }
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
    const flag = flagOf[slot];
    if (flag) Atomics.compareExchange(flag, 0, ticket, TRIPPED);
  }
  Atomics.wait(control, TICK, 0, tickMs);
}
