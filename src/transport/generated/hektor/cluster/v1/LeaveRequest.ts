// Original file: proto/hektor/cluster/v1/cluster.proto


export interface LeaveRequest {
  'node_id'?: (string);
}

export interface LeaveRequest__Output {
  'node_id': (string);
}
