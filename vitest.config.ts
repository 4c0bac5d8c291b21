import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Host tests boot real Debian hosts (systemd-nspawn); a first run also builds the base root.
    testTimeout: 120_000,
    hookTimeout: 900_000,
    // Two cores: two test files at a time, each with its own hosts.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
  },
});
