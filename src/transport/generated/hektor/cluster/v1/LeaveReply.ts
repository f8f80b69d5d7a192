// Original file: proto/hektor/cluster/v1/cluster.proto


export interface LeaveReply {
  'ok'?: (boolean);
  'error_code'?: (string);
  'error'?: (string);
  'leader_id'?: (string);
  'leader_address'?: (string);
}

export interface LeaveReply__Output {
  'ok': (boolean);
  'error_code': (string);
  'error': (string);
  'leader_id': (string);
  'leader_address': (string);
}
