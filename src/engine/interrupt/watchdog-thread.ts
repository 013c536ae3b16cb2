/**
 * The watchdog: a thread of its own, because the thread it guards may be stuck in a guest's loop
 * and run no timers. Every deadline tick it takes in which slots hold which flag word, then trips
 * each armed slot whose deadline has passed; the guest traps at its next check. More often — every
 * half quantum while a guest runs — it looks at the run in progress and, once that run has lasted
 * a quantum or its CPU budget is spent, asks the running instances for a checkpoint (flag byte 1);
 * the guest then yields or is stopped (time-slice.ts). controller.ts documents the shared layout.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { tripFlag, type WatchdogMessage } from './controller.ts';

const { control, deadlines, tickets, run, runTimes, flags, port, tickMs } = workerData as {
  control: Int32Array;
  deadlines: Float64Array;
  tickets: Int32Array;
  run: Int32Array;
  runTimes: Float64Array;
  flags: WatchdogMessage[];
  port: MessagePort;
  tickMs: number;
};
const ARMED = 0;
const STOP = 1;
const SLOTS_IN_USE = 2;
const TICK = 3;
const QUANTUM_US = 4;
const RUN_SEQUENCE = 0;
const RUN_SLOTS = 1;
/** The checkpoint request in a flag word's low byte. */
const CHECKPOINT = 1;

const flagOf: Array<Int32Array | undefined> = [];
const lowByteOf: Array<Uint8Array | undefined> = [];
const learn = ({ slot, flag }: WatchdogMessage) => {
  flagOf[slot] = flag;
  lowByteOf[slot] = new Uint8Array(flag.buffer, flag.byteOffset, 1);
};
for (const message of flags) learn(message);

const now = () => performance.timeOrigin + performance.now();

function tripExpired(at: number): void {
  const used = Atomics.load(control, SLOTS_IN_USE);
  for (let slot = 0; slot < used; slot++) {
    const ticket = Atomics.load(tickets, slot);
    const deadline = deadlines[slot] as number;
    // The ticket is read on both sides of the deadline: if the slot was re-armed in between, the
    // deadline may be the new request's, so leave it for the next tick.
    if (deadline === 0 || at < deadline || Atomics.load(tickets, slot) !== ticket) continue;
    const flag = flagOf[slot];
    if (flag) tripFlag(flag, ticket);
  }
}

/** When this run was last asked for a checkpoint (its sequence and the time). */
let askedRun = 0;
let askedAt = 0;

/** Asks the running instances for a checkpoint once the run is a quantum old or out of budget. */
function askForCheckpoint(at: number, quantumMs: number): void {
  const sequence = Atomics.load(run, RUN_SEQUENCE);
  const count = run[RUN_SLOTS] as number;
  if (count === 0) return;
  const started = runTimes[0] as number;
  const budgetEnds = runTimes[1] as number;
  // Read on both sides: a run that changed meanwhile is left for the next look.
  if (Atomics.load(run, RUN_SEQUENCE) !== sequence) return;
  const since = sequence === askedRun ? askedAt : started;
  const sliceOver = quantumMs > 0 && at - since >= quantumMs;
  const budgetOver = at >= budgetEnds && (sequence !== askedRun || at - askedAt >= tickMs);
  if (!sliceOver && !budgetOver) return;
  for (let i = 0; i < count; i++) {
    const lowByte = lowByteOf[run[2 + i] as number];
    if (lowByte) Atomics.compareExchange(lowByte, 0, 0, CHECKPOINT);
  }
  askedRun = sequence;
  askedAt = at;
}

let lastDeadlineScan = 0;
parentPort?.postMessage('watching');
for (;;) {
  if (Atomics.load(control, STOP) !== 0) break;
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port))
    learn(m.message as WatchdogMessage);
  if (Atomics.load(control, ARMED) === 0) {
    Atomics.wait(control, ARMED, 0);
    continue;
  }
  const at = now();
  if (at - lastDeadlineScan >= tickMs) {
    tripExpired(at);
    lastDeadlineScan = at;
  }
  const quantumMs = Atomics.load(control, QUANTUM_US) / 1000;
  askForCheckpoint(at, quantumMs);
  Atomics.wait(control, TICK, 0, quantumMs > 0 ? Math.min(tickMs, quantumMs / 2) : tickMs);
}
