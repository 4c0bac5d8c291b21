/** Every API area the simulator implements, registered on one router (paths mirror PVE's tree). */
import type { Auth } from '../http/auth.js';
import { Router } from '../router.js';
import { registerAccess } from './access.js';
import { registerAgent } from './agent.js';
import { registerCluster } from './cluster.js';
import { registerMapping } from './mapping.js';
import { registerNodes } from './nodes.js';
import { registerClone } from './qemu-clone.js';
import { registerConfig } from './qemu-config.js';
import { registerPower } from './qemu-power.js';
import { registerQemu } from './qemu.js';
import { registerSendkey } from './qemu-sendkey.js';
import { registerStorage } from './storage.js';
import { registerTasks } from './tasks.js';

export function buildRouter(auth: Auth, fingerprint: string): Router {
  const router = new Router();
  registerAccess(router, auth);
  registerNodes(router, fingerprint);
  registerCluster(router);
  registerMapping(router);
  registerStorage(router);
  registerTasks(router);
  registerQemu(router);
  registerConfig(router);
  registerClone(router);
  registerPower(router);
  registerSendkey(router);
  registerAgent(router);
  return router;
}

/**
 * The route table alone (`METHOD /template`), for the API contract. Registering reads neither the
 * auth store nor the fingerprint (handlers use them when called), so none is needed here.
 */
export function implementedRoutes(): string[] {
  return buildRouter(undefined as unknown as Auth, '').list();
}
