/**
 * `hektor certs`: a cluster CA and per-node certificates for local use and tests. Each node
 * certificate names the node id as its common name (what peers check) and carries
 * 127.0.0.1/localhost and any given hosts as subject alternative names. Keys are RSA 2048,
 * generated with Node's native crypto (node-forge delegates to it).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/** A certificate with its private key, both PEM. */
export interface CertPair {
  certPem: string;
  keyPem: string;
}

const VALID_DAYS = 825;

function serial(): string {
  return forge.util.bytesToHex(forge.random.getBytesSync(16)).replace(/^[89a-f]/, '1');
}

function validity(cert: forge.pki.Certificate): void {
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + VALID_DAYS * 86_400_000);
}

/** Generates a self-signed cluster CA. */
export function generateCa(commonName = 'hektor-cluster-ca'): CertPair {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

/** Generates a certificate for `nodeId`, signed by `ca`, valid as both TLS server and client. */
export function generateNodeCert(ca: CertPair, nodeId: string, hosts: readonly string[] = []): CertPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert);
  cert.setSubject([{ name: 'commonName', value: nodeId }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames: { type: number; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
  ];
  for (const host of hosts) altNames.push(/^\d+\.\d+\.\d+\.\d+$/.test(host) ? { type: 7, ip: host } : { type: 2, value: host });
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

/** Writes `ca.pem`, `ca.key` and `<node>.pem` / `<node>.key` for every node into `dir`. */
export function writeClusterCerts(dir: string, nodeIds: readonly string[], hosts: readonly string[] = []): string[] {
  mkdirSync(dir, { recursive: true });
  const ca = generateCa();
  const written = [join(dir, 'ca.pem'), join(dir, 'ca.key')];
  writeFileSync(written[0] ?? '', ca.certPem);
  writeFileSync(written[1] ?? '', ca.keyPem, { mode: 0o600 });
  for (const id of nodeIds) {
    const pair = generateNodeCert(ca, id, hosts);
    writeFileSync(join(dir, `${id}.pem`), pair.certPem);
    writeFileSync(join(dir, `${id}.key`), pair.keyPem, { mode: 0o600 });
    written.push(join(dir, `${id}.pem`), join(dir, `${id}.key`));
  }
  return written;
}
