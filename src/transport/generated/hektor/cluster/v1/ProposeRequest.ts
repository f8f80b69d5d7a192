// Original file: proto/hektor/cluster/v1/cluster.proto


export interface ProposeRequest {
  /**
   * A JSON-encoded metadata command (src/cluster/metadata.ts).
   */
  'command'?: (Buffer | Uint8Array | string);
  'from'?: (string);
}

export interface ProposeRequest__Output {
  /**
   * A JSON-encoded metadata command (src/cluster/metadata.ts).
   */
  'command': (Buffer);
  'from': (string);
}
