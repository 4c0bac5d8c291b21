/** /nodes/{node}/tasks/{upid}/status and /log (pve-manager API2/Tasks.pm): 400 "no such task". */
import { paramError } from '../http/errors.js';
import { WithTotal, type Router } from '../router.js';
import { parseUpid } from '../state/tasks.js';
import { int, nodeOrDie, str } from './common.js';
import type { HandlerContext } from '../router.js';

function task(ctx: HandlerContext) {
  nodeOrDie(ctx.sim, str(ctx, 'node'));
  const upid = str(ctx, 'upid')!;
  if (!parseUpid(upid)) throw paramError({ upid: 'unable to parse worker upid' });
  const t = ctx.sim.state.tasks.get(upid);
  if (!t || t.node !== str(ctx, 'node')) throw paramError({ upid: 'no such task' });
  return t;
}

export function registerTasks(router: Router): void {
  router.add('GET', '/nodes/{node}/tasks/{upid}', () => [{ name: 'log' }, { name: 'status' }]);
  router.add('GET', '/nodes/{node}/tasks/{upid}/status', (ctx) => {
    const t = task(ctx);
    return {
      upid: t.upid,
      node: t.node,
      pid: t.pid,
      pstart: t.pstart,
      starttime: t.starttime,
      type: t.type,
      id: t.id,
      user: t.user,
      status: t.status,
      ...(t.status === 'stopped' ? { exitstatus: t.exitstatus } : {}),
    };
  });
  router.add('GET', '/nodes/{node}/tasks/{upid}/log', (ctx) => {
    const t = task(ctx);
    const start = int(ctx, 'start') ?? 0;
    const limit = int(ctx, 'limit') || 50;
    const lines = t.log.map((text, i) => ({ n: i + 1, t: text }));
    const page = lines.slice(start, start + limit);
    // PVE's ExtJS hack: an empty log reads as one line "no content".
    if (!lines.length) return new WithTotal([{ n: 1, t: 'no content' }], 1);
    return new WithTotal(page, lines.length);
  });
}
