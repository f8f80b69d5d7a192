// Original file: proto/hektor/cluster/v1/cluster.proto


export interface HeartbeatRequest {
  'from'?: (string);
  'sent_at_ms'?: (number | string);
}

export interface HeartbeatRequest__Output {
  'from': (string);
  'sent_at_ms': (number);
}
