/**
 * `wasi:logging/logging`: a guest's log lines go to the host log with the component, the level and
 * the guest's context. Granted to every component, as Spin does: it reaches nothing but the log.
 */
import { currentAccount } from '../../engine/interrupt/time-slice.ts';
import type { Capability } from '../capability.ts';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;

export const logging: Capability<undefined> = {
  name: 'logging',
  componentKeys: [],
  interfaces: [{ name: 'wasi:logging/logging' }],
  prepare: () => ({
    instance: ({ guestLog }) => ({
      imports: {
        'wasi:logging/logging': {
          log(level: (typeof LEVELS)[number], context: string, message: string): void {
            // The request the guest works for now, if it works for one (not while pre-warming).
            const request = currentAccount()?.requestId;
            const from = request === undefined ? '' : `request ${request} `;
            guestLog(`${from}${level.toUpperCase()}${context ? ` ${context}` : ''}: ${message}`);
          },
        },
      },
    }),
  }),
};
