// lib/guacamole/sessions.ts against guac-sim: the whole history past the 1,000-record cap, by
// date terms, whatever the webapp's time zone; a day too full to read is reported, not dropped.
import { afterEach, describe, expect, it } from 'vitest';
import { secret } from '../../lib/secret.js';
import { GuacamoleClient, HISTORY_LIMIT, sessionHistory } from '../../lib/guacamole/index.js';
import { startGuacSim, type GuacSim } from '../guac-sim/index.js';

const sims: GuacSim[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
const admin = { username: 'guacadmin', password: secret('guacadmin') };
const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 11, 20, 0, 0);

/** `count` sessions, one every `stepMs` from `start`, by users u0..u4 (none exists: deleted since). */
function fill(s: GuacSim, start: number, count: number, stepMs: number) {
  for (let i = 0; i < count; i++)
    s.recordSession({
      username: `u${i % 5}`,
      connection: `vm-dev-0${1 + (i % 4)}`,
      remoteHost: `10.0.0.${i % 250}`,
      startDate: start + i * stepMs,
    });
}

async function read(s: GuacSim, query: Parameters<typeof sessionHistory>[1] = {}) {
  const client = new GuacamoleClient({ url: s.url });
  await client.login(admin);
  try {
    return await sessionHistory(client, query);
  } finally {
    await client.close();
  }
}

describe('sessionHistory', () => {
  it('under the cap: one request, everything', async () => {
    const s = await startGuacSim();
    sims.push(s);
    fill(s, T0, 40, HOUR);
    const h = await read(s);
    expect(h.queries).toBe(1);
    expect(h.records).toHaveLength(40);
    expect(h.incompleteDays).toEqual([]);
  });

  for (const timeZone of ['UTC', 'Pacific/Kiritimati', 'America/Los_Angeles'])
    it(`past the cap: all ${3 * HISTORY_LIMIT} sessions over three weeks and a year change (webapp in ${timeZone})`, async () => {
      const s = await startGuacSim({ timeZone });
      sims.push(s);
      // 3,000 sessions one every 10 minutes from 20 December 00:00 UTC: 21 days into the next
      // year, so December (1,728) and January (1,272) are each split into days. The webapp reads a
      // day in its own zone: at UTC+14 the range's last UTC day runs into the next local day, which
      // must be asked too (without the one-day margin in sessions.ts this case fails).
      fill(s, T0, 3 * HISTORY_LIMIT, 10 * 60_000);
      const h = await read(s);
      expect(h.records).toHaveLength(3 * HISTORY_LIMIT);
      expect(new Set(h.records.map((r) => r.identifier)).size).toBe(3 * HISTORY_LIMIT);
      expect(h.records[0]!.startDate).toBeGreaterThan(h.records.at(-1)!.startDate);
      expect(h.incompleteDays).toEqual([]);
      // Only date terms were used to narrow (names would miss a deleted user's sessions).
      const terms = s.requests.flatMap((r) =>
        r.path.endsWith('/history/connections') ? [r.query.contains] : [],
      );
      expect(terms.filter((t) => t !== undefined).every((t) => /^\d{4}(-\d{2}){0,2}$/.test(t!))).toBe(true);
    });

  it('a day with more than 1,000 sessions is split no further: read from both ends, and reported when they do not meet', async () => {
    const s = await startGuacSim();
    sims.push(s);
    fill(s, Date.UTC(2026, 0, 5, 1), 1500, 30_000); // 1,500 on 5 January: both ends meet
    fill(s, Date.UTC(2026, 0, 7, 1), 2500, 30_000); // 2,500 on 7 January: 500 cannot be read
    fill(s, Date.UTC(2026, 0, 9, 1), 10, HOUR);
    const h = await read(s);
    expect(h.incompleteDays).toEqual(['2026-01-07']);
    const on = (d: number) => h.records.filter((r) => new Date(r.startDate).getUTCDate() === d).length;
    expect(on(5)).toBe(1500);
    expect(on(7)).toBe(2 * HISTORY_LIMIT);
    expect(on(9)).toBe(10);
  });

  it('since/until keep sessions by their exact start time', async () => {
    const s = await startGuacSim();
    sims.push(s);
    fill(s, T0, 2 * HISTORY_LIMIT, HOUR);
    const since = T0 + 100 * HOUR;
    const until = T0 + 250 * HOUR;
    const h = await read(s, { since, until });
    expect(h.records).toHaveLength(150);
    expect(h.records.every((r) => r.startDate >= since && r.startDate < until)).toBe(true);
  });
});
