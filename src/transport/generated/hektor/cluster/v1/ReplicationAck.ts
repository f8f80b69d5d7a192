// Original file: proto/hektor/cluster/v1/cluster.proto


export interface ReplicationAck {
}

export interface ReplicationAck__Output {
}
