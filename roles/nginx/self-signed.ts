/**
 * The `self-signed` certificate source, for a lab: a certificate made on the gateway itself (the
 * key never leaves it), kept across runs, made again when it is missing, names other DNS names,
 * or expires within `renewDays`. Read in one round trip; made in one: openssl into a temp file
 * beside the target, `nginx -t` with it in place (candidate-test.ts), then a rename.
 */
import type { Change, Resource } from '../../lib/resource.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { nginxCandidateTest } from './candidate-test.js';
import { dnsNames } from './san.js';

export interface SelfSignedOptions {
  path: string;
  names: string[];
  days: number;
  renewDays: number;
}

interface SelfSignedState {
  exists: boolean;
  expiring: boolean;
  names: string[];
}

export function selfSignedResource(o: SelfSignedOptions): Resource<SelfSignedState> {
  const q = quotePosix(o.path);
  const wanted = [...o.names].sort().join(',');
  return {
    id: `self-signed certificate ${o.path}`,
    async read(host) {
      // -checkend exits 1 when the certificate expires within that many seconds.
      const r = await host.probe({ nothrow: true })`sh -c ${[
        `f=${q}`,
        'if [ ! -f "$f" ]; then echo missing; exit 0; fi',
        `if openssl x509 -in "$f" -noout -checkend ${o.renewDays * 86400} >/dev/null; then echo fresh; else echo expiring; fi`,
        'openssl x509 -in "$f" -noout -ext subjectAltName 2>/dev/null | tail -n +2',
      ].join('\n')}`;
      if (r.exitCode !== 0) throw new Error(`${o.path}: cannot read the certificate: ${r.stderr.trim()}`);
      const [first, ...rest] = r.stdout.trim().split('\n');
      const names = dnsNames(rest);
      return { exists: first !== 'missing', expiring: first === 'expiring', names };
    },
    plan(current) {
      if (!current.exists)
        return [{ field: 'certificate', to: `generated (${o.days} days, ${o.names.join(', ')})` }];
      const changes: Change[] = [];
      const have = [...current.names].sort().join(',');
      if (have !== wanted) changes.push({ field: 'names', from: have || '(none)', to: wanted });
      if (current.expiring)
        changes.push({ field: 'certificate', from: `expires within ${o.renewDays} days`, to: 'renewed' });
      return changes;
    },
    async apply(host) {
      const san = o.names.map((n) => `DNS:${n}`).join(',');
      await host.$`sh -c ${[
        'set -e',
        'umask 077',
        `target=${q}`,
        'work=$(mktemp -d "${target%/*}/.self-signed.XXXXXXXX~")',
        'trap \'rm -rf -- "$work"\' EXIT',
        [
          'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes',
          `-days ${o.days} -subj ${quotePosix(`/CN=${o.names[0]}`)} -addext ${quotePosix(`subjectAltName=${san}`)}`,
          '-keyout "$work/key" -out "$work/crt" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }',
        ].join(' '),
        'cat "$work/key" "$work/crt" > "$work/pem"',
        'if ! out=$(' +
          nginxCandidateTest(o.path).replace('%s', '"$work/pem"') +
          ' 2>&1); then echo "$out" >&2; exit 1; fi',
        'mv -f -- "$work/pem" "$target"',
      ].join('\n')}`;
    },
  };
}
