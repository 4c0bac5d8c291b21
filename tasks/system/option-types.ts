/** Option schemas the system primitives (command, waitFor, reboot) share. */
import { Type } from '../../lib/vendor/typebox.js';

/** A duration: a positive, finite number of milliseconds. */
export const Milliseconds = () =>
  Type.Number({ exclusiveMinimum: 0, expected: 'must be a positive number of milliseconds' });

/** A path on the host that must start with `/` (it need not be normalised: it is only tested). */
export const HostPath = () => Type.String({ pattern: '^/', expected: 'must be an absolute path' });
