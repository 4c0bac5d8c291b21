/**
 * The `files` certificate source: the chain (inventory) and the key (vault) as one PEM, key
 * first, so nginx always reads a key and certificate that belong together (one atomic write —
 * two files could be caught half-replaced). Whether OCSP stapling can work is read from the
 * chain here, on the controller: the leaf must name an OCSP responder and its issuer must be in
 * the chain (nginx needs the issuer to ask about the leaf).
 */
import { X509Certificate } from 'node:crypto';
import { isSecret, secret, type Secret } from '../../lib/secret.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function certificateChain(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (error) {
      throw new Error(`certificate ${i + 1} of the chain cannot be read: ${(error as Error).message}`);
    }
  });
}

/** The leaf names an OCSP responder and its issuer is in the chain. */
export function canStaple(chain: X509Certificate[]): boolean {
  const [leaf, ...rest] = chain;
  if (!leaf || !/^OCSP - URI:/m.test(leaf.infoAccess ?? '')) return false;
  return rest.some((c) => leaf.checkIssued(c));
}

/** Key and chain in one PEM (a Secret: it holds the key). */
export function keyAndChain(key: Secret | string, chain: string): Secret {
  const k = (isSecret(key) ? key.reveal() : key).trim();
  const certs = (chain.match(PEM_BLOCK) ?? []).join('\n');
  return secret(`${k}\n${certs}\n`);
}
