/**
 * A signed apt repository on the machine, standing in for the vendor repositories the role can
 * use (Docker's, NodeSource's), which cannot be reached here: stand-in packages built with
 * dpkg-deb, indexed and released with apt-ftparchive, signed (InRelease, Release.gpg) with a
 * throwaway gpg key, and served over HTTP on the harness bridge's address.
 */
import { createReadStream, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { run } from '../harness/run.js';
import { GATEWAY } from '../harness/paths.js';

export interface RepoSpec {
  /** Folder under the server root, e.g. `docker`. */
  path: string;
  suite: string;
  component: string;
  packages: { name: string; version: string }[];
}

export interface LocalRepos {
  /** `http://10.231.0.1:PORT` */
  url: string;
  /** The signing key, ASCII-armoured: what the inventory pins. */
  key: string;
  close(): Promise<void>;
}

async function buildDeb(dir: string, name: string, version: string): Promise<string> {
  const root = join(dir, `${name}_${version}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/share/doc', name), { recursive: true });
  writeFileSync(
    join(root, 'DEBIAN/control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: NovaStation tests <tests@novastation.invalid>\nDescription: stand-in for the vendor's ${name} (test repository)\n`,
  );
  writeFileSync(join(root, 'usr/share/doc', name, 'stand-in'), `${name} ${version}\n`);
  const deb = `${root}.deb`;
  await run('dpkg-deb', ['--root-owner-group', '--build', root, deb]);
  return deb;
}

export async function serveSignedRepos(specs: RepoSpec[]): Promise<LocalRepos> {
  const top = mkdtempSync(join(tmpdir(), 'ns-aptrepo-'));
  const gnupg = join(top, 'gnupg');
  mkdirSync(gnupg, { mode: 0o700 });
  const gpg = (...args: string[]) =>
    run('gpg', ['--homedir', gnupg, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args]);
  await gpg(
    '--quick-gen-key',
    'NovaStation test repository <repo@novastation.invalid>',
    'ed25519',
    'sign',
    'never',
  );
  const key = (await gpg('--armor', '--export')).stdout;
  const www = join(top, 'www');
  for (const spec of specs) {
    const base = join(www, spec.path);
    const pool = join(base, 'pool');
    const dist = join(base, 'dists', spec.suite);
    const bin = join(dist, spec.component, 'binary-amd64');
    mkdirSync(pool, { recursive: true });
    mkdirSync(bin, { recursive: true });
    for (const p of spec.packages) {
      const deb = await buildDeb(join(top, 'build'), p.name, p.version);
      await run('cp', [deb, pool]);
    }
    const packages = await run('sh', ['-c', `cd '${base}' && apt-ftparchive packages pool`]);
    writeFileSync(join(bin, 'Packages'), packages.stdout);
    const release = await run('apt-ftparchive', [
      '-o',
      `APT::FTPArchive::Release::Suite=${spec.suite}`,
      '-o',
      `APT::FTPArchive::Release::Codename=${spec.suite}`,
      '-o',
      `APT::FTPArchive::Release::Components=${spec.component}`,
      '-o',
      'APT::FTPArchive::Release::Architectures=amd64 all',
      'release',
      dist,
    ]);
    writeFileSync(join(dist, 'Release'), release.stdout);
    await gpg('--clearsign', '-o', join(dist, 'InRelease'), join(dist, 'Release'));
    await gpg('-abs', '-o', join(dist, 'Release.gpg'), join(dist, 'Release'));
  }
  const server: Server = createServer((req, res) => {
    const path = normalize(join(www, decodeURIComponent((req.url ?? '/').split('?')[0]!)));
    if (!path.startsWith(www) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(path).size });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, GATEWAY, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${GATEWAY}:${port}`,
    key,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
