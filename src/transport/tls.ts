/**
 * TLS for node-to-node gRPC: TLS 1.3 only, mutual authentication against the cluster CA, and
 * node identity taken from the certificate's common name. A node refuses a peer whose
 * certificate is not signed by the cluster CA or names another node id than the one expected.
 */

import { readFileSync } from 'node:fs';
import { createSecureContext, type PeerCertificate } from 'node:tls';
import tlsModule from 'node:tls';
import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { HektorError, errorMessage } from '../base/errors.js';

/** PEM material of one node. */
export interface TlsMaterial {
  caPem: Buffer;
  certPem: Buffer;
  keyPem: Buffer;
}

/** Reads the CA, certificate and key files of a node. */
export function loadTlsMaterial(paths: { ca: string; cert: string; key: string }): TlsMaterial {
  try {
    return { caPem: readFileSync(paths.ca), certPem: readFileSync(paths.cert), keyPem: readFileSync(paths.key) };
  } catch (e: unknown) {
    throw new HektorError('invalid_config', `cannot read TLS files: ${errorMessage(e)}`);
  }
}

/**
 * Makes TLS 1.3 the minimum for every TLS server of this process. grpc-js builds its server
 * contexts itself and offers no per-server minimum, so the node sets the process default once,
 * at start-up, when TLS is configured.
 */
export function requireTls13(): void {
  // The typings mark it read-only, but Node documents it as a settable process default.
  Reflect.set(tlsModule, 'DEFAULT_MIN_VERSION', 'TLSv1.3');
}

/** Server credentials: insecure without material, else TLS with required client certificates. */
export function serverCredentials(material: TlsMaterial | undefined): ServerCredentials {
  if (material === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(material.caPem, [{ private_key: material.keyPem, cert_chain: material.certPem }], true);
}

/** Client credentials for calling node `expectedNodeId`: the server's certificate must name it. */
export function channelCredentials(material: TlsMaterial | undefined, expectedNodeId: string | undefined): ChannelCredentials {
  if (material === undefined) return ChannelCredentials.createInsecure();
  const context = createSecureContext({ ca: material.caPem, cert: material.certPem, key: material.keyPem, minVersion: 'TLSv1.3' });
  return ChannelCredentials.createFromSecureContext(context, {
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      const name = certificateNodeId(cert);
      if (expectedNodeId !== undefined && name !== expectedNodeId) {
        return new Error(`peer certificate names node "${name ?? '(none)'}" but node "${expectedNodeId}" was expected`);
      }
      return undefined;
    },
  });
}

/** The node id a certificate names (its subject common name). */
export function certificateNodeId(cert: PeerCertificate | undefined): string | undefined {
  const cn: unknown = cert?.subject.CN;
  if (typeof cn === 'string') return cn;
  if (Array.isArray(cn) && typeof cn[0] === 'string') return cn[0];
  return undefined;
}
