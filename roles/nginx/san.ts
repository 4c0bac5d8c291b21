/**
 * The DNS names of a certificate, from the lines `openssl x509 -noout -ext subjectAltName` prints
 * after its header (`DNS:a.example, DNS:b.example, IP Address:…`): what the certificate sources
 * compare with the names asked for.
 */
export function dnsNames(lines: readonly string[]): string[] {
  return lines
    .join(',')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
}
