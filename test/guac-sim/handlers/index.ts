import type { Route } from '../server.js';
import { connectionRoutes } from './connections.js';
import { historyRoutes } from './history.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';

export function buildRoutes(now: () => number, timeZone?: string): Route[] {
  return [...tokenRoutes(now), ...userRoutes(), ...connectionRoutes(), ...historyRoutes(timeZone)];
}
