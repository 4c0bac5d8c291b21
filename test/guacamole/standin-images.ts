/**
 * Local stand-ins for the stack's images, under the real names (no registry is reachable here):
 *  - `postgres:16`: Debian's postgresql-15 with an entrypoint that honours POSTGRES_* and
 *    /docker-entrypoint-initdb.d like the official image's;
 *  - `guacamole/guacd:1.6.0`: listens on 4822 as uid 1000 (no Guacamole protocol);
 *  - `guacamole/guacamole:1.6.0`: the webapp's environment checks and database login, then the
 *    REST API simulator (test/guac-sim, bundled, on the machine's own node binary), and the real
 *    image's `/opt/guacamole/bin/initdb.sh --postgresql` printing a reduced schema.
 * All three share one Debian 12 root (the harness's base root + postgresql-15 + netcat), built
 * once per recipe (and base) and cached in /var/tmp like the base root; each run imports it into the
 * host's daemon and builds the three images on it (COPY only: no container runs in a build).
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DOCKER_CLI } from '../harness/docker-daemon.js';
import { ensureBase } from '../harness/base-image.js';
import { withLock } from '../harness/lock.js';
import { removeTree } from '../harness/mounts.js';
import { APT_ARCHIVES, BASE_DIR } from '../harness/paths.js';
import { run } from '../harness/run.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(HERE, '..', '..');
const CACHE = '/var/tmp/novastation-guac-images';
const PACKAGES = ['postgresql-15', 'netcat-openbsd'];
/** Changing this recipe (or the packages) builds a new cached root. */
const ROOT_RECIPE = `harness base + ${PACKAGES.join(',')} users guacd:1000 guacamole:1001 v4`;

export const IMAGES = {
  guacd: 'guacamole/guacd:1.6.0',
  webapp: 'guacamole/guacamole:1.6.0',
  postgres: 'postgres:16',
} as const;

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

/** The recipe and the base root it starts from (a rebuilt base makes a new stand-in root). */
async function rootKey(log: (l: string) => void): Promise<string> {
  await ensureBase(log);
  return hash(`${ROOT_RECIPE}\n${readFileSync(`${BASE_DIR}/etc/novastation-base-stamp`, 'utf8')}`);
}

/** The shared root as a tar, built on first use (~2 min) and then reused. */
async function rootTar(key: string, log: (l: string) => void): Promise<string> {
  const tar = `${CACHE}/root-${key}.tar`;
  if (existsSync(tar)) return tar;
  mkdirSync(CACHE, { recursive: true });
  return withLock(`${CACHE}/build.lock`, async () => {
    if (existsSync(tar)) return tar;
    const dir = `${CACHE}/build-root`;
    await removeTree(dir);
    // The harness's base root (already built for the test hosts) plus the packages, installed in
    // a private mount namespace with /proc and the hosts' shared apt archive mounted: a copy and
    // an apt-get, instead of a debootstrap of its own.
    log('stand-in images: their shared Debian root (once; cached)');
    await run('cp', ['-a', BASE_DIR, dir], { timeoutMs: 300_000 });
    writeFileSync(`${dir}/usr/sbin/policy-rc.d`, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const install = [
      'mount -t proc proc "$1/proc"',
      'mount --bind "$2" "$1/var/cache/apt/archives"',
      `chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${PACKAGES.join(' ')} >/dev/null`,
    ].join(' && ');
    await run('unshare', ['--mount', '--fork', '--', 'sh', '-ec', install, 'sh', dir, APT_ARCHIVES], {
      timeoutMs: 600_000,
    });
    await run('chroot', [
      dir,
      '/bin/sh',
      '-ec',
      [
        'rm -f /usr/sbin/policy-rc.d',
        'groupadd -g 1000 guacd && useradd -u 1000 -g 1000 -M -d /nonexistent -s /usr/sbin/nologin guacd',
        'groupadd -g 1001 guacamole && useradd -u 1001 -g 1001 -M -d /nonexistent -s /usr/sbin/nologin guacamole',
        // The package's own cluster is not used: the entrypoint makes one in PGDATA.
        'rm -rf /var/lib/postgresql/15 /etc/postgresql/15 /usr/share/doc/* /usr/share/man/*',
        // Smaller to import on every run: no package lists, and no LLVM (only PostgreSQL's
        // optional JIT uses it; without llvmjit.so the server runs with JIT unavailable).
        'rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/lib/postgresql/15/lib/llvmjit*',
        'rm -f /usr/lib/x86_64-linux-gnu/libLLVM-14.so* /usr/lib/x86_64-linux-gnu/libz3.so*',
        'mkdir -p /docker-entrypoint-initdb.d /var/lib/postgresql/data /opt/guacamole/bin /opt/guac-sim',
        'mkdir -p /opt/guacamole/extensions/guacamole-auth-jdbc/postgresql/schema',
        'chown postgres:postgres /var/lib/postgresql/data',
      ].join('\n'),
    ]);
    const partial = `${tar}.partial`;
    await run('tar', ['-C', dir, '--one-file-system', '-cf', partial, '.'], { timeoutMs: 300_000 });
    renameSync(partial, tar);
    await removeTree(dir);
    return tar;
  });
}

/** The simulator as one ES module for the image's node (test/guac-sim/cli.ts's `main`). */
async function simBundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `import { main } from './test/guac-sim/cli.ts';\nprocess.exitCode = await main(process.argv.slice(2));\n`,
      resolveDir: REPO,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'warning',
    // Bundled CommonJS dependencies call require(): give the ES module one.
    banner: {
      // Split: a bundler that rewrites import.meta.url per file (scripts/run-ts.mjs) leaves this text alone.
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import." + 'meta.url);',
    },
  });
  return result.outputFiles[0]!.text;
}

interface ImageSpec {
  tag: string;
  files: Record<string, string | { copyFrom: string }>;
  dockerfile: string[];
}

async function specs(rootTag: string): Promise<ImageSpec[]> {
  const from = `FROM ${rootTag}`;
  const standin = (name: string) => ({ copyFrom: join(HERE, 'standins', name) });
  return [
    {
      tag: IMAGES.postgres,
      files: { 'docker-entrypoint.sh': standin('postgres-entrypoint.sh') },
      dockerfile: [
        from,
        'COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh',
        'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'ENV PGDATA=/var/lib/postgresql/data',
        'VOLUME /var/lib/postgresql/data',
        'EXPOSE 5432',
        'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
      ],
    },
    {
      tag: IMAGES.guacd,
      files: { 'entrypoint.sh': standin('guacd-entrypoint.sh') },
      dockerfile: [
        from,
        'COPY entrypoint.sh /opt/guacamole/entrypoint.sh',
        'USER 1000:1000',
        'EXPOSE 4822',
        'ENTRYPOINT ["/opt/guacamole/entrypoint.sh"]',
      ],
    },
    {
      tag: IMAGES.webapp,
      files: {
        node: { copyFrom: process.execPath },
        'guac-sim.mjs': await simBundle(),
        'entrypoint.sh': standin('webapp-entrypoint.sh'),
        'initdb.sh': standin('initdb.sh'),
        '001-create-schema.sql': standin('001-create-schema.sql'),
        '002-create-admin-user.sql': standin('002-create-admin-user.sql'),
      },
      dockerfile: [
        from,
        'COPY node /usr/local/bin/node',
        'COPY guac-sim.mjs /opt/guac-sim/guac-sim.mjs',
        'COPY entrypoint.sh initdb.sh /opt/guacamole/bin/',
        'COPY *.sql /opt/guacamole/extensions/guacamole-auth-jdbc/postgresql/schema/',
        'USER 1001:1001',
        'EXPOSE 8080',
        'ENTRYPOINT ["/opt/guacamole/bin/entrypoint.sh"]',
      ],
    },
  ];
}

/** Imports the cached root into the daemon behind `env` and builds the three stand-ins on it. */
export async function loadStandinImages(env: NodeJS.ProcessEnv, log: (l: string) => void = () => {}) {
  const key = await rootKey(log);
  const tar = await rootTar(key, log);
  const rootTag = `novastation/standin-root:${key}`;
  await run('sh', ['-c', `${DOCKER_CLI} import - "$1" < "$2" >/dev/null`, 'sh', rootTag, tar], {
    env,
    timeoutMs: 300_000,
  });
  const work = mkdtempSync(join(tmpdir(), 'ns-standins-'));
  try {
    for (const spec of await specs(rootTag)) {
      const ctx = join(work, spec.tag.replace(/[/:]/g, '_'));
      mkdirSync(ctx);
      for (const [name, content] of Object.entries(spec.files)) {
        if (typeof content === 'string') writeFileSync(join(ctx, name), content);
        else copyFileSync(content.copyFrom, join(ctx, name));
        if (/\.sh$|^node$/.test(name)) chmodSync(join(ctx, name), 0o755);
      }
      writeFileSync(join(ctx, 'Dockerfile'), `${spec.dockerfile.join('\n')}\n`);
      // COPY keeps the files' modes; no RUN, so no container runs and no network is needed.
      await run(DOCKER_CLI, ['build', '--quiet', '--tag', spec.tag, ctx], {
        env: { ...env, DOCKER_BUILDKIT: '0' },
        timeoutMs: 300_000,
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The stand-ins' sources, for a test that wants to say what they hold. */
export const standinSource = (name: string) => readFileSync(join(HERE, 'standins', name), 'utf8');
